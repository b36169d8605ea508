package eventhash

// Bare CBV terms that JSON-LD writes without a namespace, and the Web URI
// each vocabulary expands them to. The term lists are those of the EPCIS
// 2.0.0 JSON-LD context (epcis-context.jsonld, scoped contexts of bizStep,
// disposition, persistentDisposition, bizTransactionList/type,
// sourceList/type, destinationList/type, sensorReport/type, exception,
// component and errorDeclaration/reason). A value outside its list is left as
// it is, as a JSON-LD processor leaves an unknown term.
type vocabulary struct {
	base   string // URI the term is appended to; "" when the base is a namespace prefix
	prefix string // namespace prefix whose URI is the base (gs1 terms)
	terms  map[string]bool
}

func newVocabulary(base, prefix string, terms ...string) *vocabulary {
	v := &vocabulary{base: base, prefix: prefix, terms: make(map[string]bool, len(terms))}
	for _, t := range terms {
		v.terms[t] = true
	}
	return v
}

const cbvBase = "https://ref.gs1.org/cbv/"

var (
	vocabBizStep = newVocabulary(cbvBase+"BizStep-", "",
		"accepting", "arriving", "assembling", "collecting", "commissioning", "consigning",
		"creating_class_instance", "cycle_counting", "decommissioning", "departing", "destroying",
		"disassembling", "dispensing", "encoding", "entering_exiting", "holding", "inspecting",
		"installing", "killing", "loading", "other", "packing", "picking", "receiving", "removing",
		"repackaging", "repairing", "replacing", "reserving", "retail_selling", "sampling",
		"sensor_reporting", "shipping", "staging_outbound", "stock_taking", "stocking", "storing",
		"transporting", "unloading", "unpacking", "void_shipping")

	vocabDisposition = newVocabulary(cbvBase+"Disp-", "",
		"active", "available", "completeness_inferred", "completeness_verified", "conformant",
		"container_closed", "container_open", "damaged", "destroyed", "dispensed", "disposed",
		"encoded", "expired", "in_progress", "in_transit", "inactive", "mismatch_class",
		"mismatch_instance", "mismatch_quantity", "needs_replacement", "no_pedigree_match",
		"non_conformant", "non_sellable_other", "partially_dispensed", "recalled", "reserved",
		"retail_sold", "returned", "sellable_accessible", "sellable_not_accessible", "stolen",
		"unavailable", "unknown")

	vocabSourceDest = newVocabulary(cbvBase+"SDT-", "", "location", "owning_party", "possessing_party")

	vocabBizTransaction = newVocabulary(cbvBase+"BTT-", "",
		"bol", "cert", "desadv", "inv", "pedigree", "po", "poc", "prodorder", "recadv", "rma",
		"testprd", "testres", "upevt")

	vocabComponent = newVocabulary(cbvBase+"Comp-", "",
		"altitude", "axial_distance", "azimuth", "easting", "elevation_angle", "height", "latitude",
		"longitude", "northing", "polar_angle", "spherical_radius", "x", "y", "z")

	// Measurement types and sensor exceptions are gs1: terms; the gs1 prefix
	// is https://gs1.org/voc/ in the standard context, and a document may
	// declare it.
	vocabMeasurement = newVocabulary("", "gs1",
		"AbsoluteHumidity", "AbsorbedDose", "AbsorbedDoseRate", "Acceleration", "Altitude",
		"AmountOfSubstance", "AmountOfSubstancePerUnitVolume", "Angle", "AngularAcceleration",
		"AngularMomentum", "AngularVelocity", "Area", "Capacitance", "Conductance", "Conductivity",
		"Count", "Density", "Dimensionless", "DoseEquivalent", "DoseEquivalentRate",
		"DynamicViscosity", "ElectricCharge", "ElectricCurrent", "ElectricCurrentDensity",
		"ElectricFieldStrength", "Energy", "Exposure", "Force", "Frequency", "Illuminance",
		"Inductance", "Irradiance", "KinematicViscosity", "Length", "LinearMomentum", "Luminance",
		"LuminousFlux", "LuminousIntensity", "MagneticFlux", "MagneticFluxDensity",
		"MagneticVectorPotential", "Mass", "MassConcentration", "MassFlowRate", "MassPerAreaTime",
		"MemoryCapacity", "MolalityOfSolute", "MolarEnergy", "MolarMass", "MolarVolume", "Power",
		"Pressure", "RadiantFlux", "RadiantIntensity", "Radioactivity", "RelativeHumidity",
		"Resistance", "Resistivity", "SolidAngle", "SpecificVolume", "Speed", "SurfaceDensity",
		"SurfaceTension", "Temperature", "Time", "Torque", "Voltage", "Volume", "VolumeFlowRate",
		"VolumeFraction", "VolumetricFlux", "Wavenumber")

	vocabException = newVocabulary("", "gs1", "ALARM_CONDITION", "ERROR_CONDITION")
)
