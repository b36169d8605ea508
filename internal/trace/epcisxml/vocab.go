package epcisxml

import "strings"

// A vocabulary is one of the CBV 2.0 / GS1 code lists whose standard values
// the JSON binding writes as bare words ("shipping") while XML writes them as
// URNs (urn:epcglobal:cbv:bizstep:shipping), Web URIs
// (https://ref.gs1.org/cbv/BizStep-shipping) or CURIEs (cbv:BizStep-shipping).
// The JSON schema forbids the URN form of standard values, so they must be
// turned into words; anything not in the list is a user value and is kept as
// written.
type vocabulary struct {
	urn   string   // 1.x URN prefix, "" when the list had none
	terms []string // term prefixes under the Web vocabulary bases, e.g. "BizStep-"
	words map[string]bool
}

// Bases under which the Web URI forms of the CBV and GS1 vocabularies appear:
// the ratified CBV 2.0 base, the GS1 Web vocabulary (which also serves the
// measurement types and sensor alerts), and the draft bases seen in older
// documents.
var webBases = []string{
	"https://ref.gs1.org/cbv/",
	"http://ref.gs1.org/cbv/",
	"https://gs1.org/voc/",
	"http://gs1.org/voc/",
	"https://www.gs1.org/voc/",
	"http://www.gs1.org/voc/",
	"https://ns.gs1.org/cbv/",
	"http://ns.gs1.org/cbv/",
	"https://ref.gs1.org/voc/",
}

// standardPrefixes are the CURIE prefixes the EPCIS JSON-LD context defines;
// an XML value such as "gs1:Temperature" may use them without declaring
// them.
var standardPrefixes = map[string]string{
	"cbv":    "https://ref.gs1.org/cbv/",
	"gs1":    "https://gs1.org/voc/",
	"cbvmda": "urn:epcglobal:cbv:mda:",
}

func words(s string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(s) {
		m[w] = true
	}
	return m
}

// The lists are the enums of EPCIS-JSON-Schema.json (EPCIS/CBV 2.0).
var (
	bizStepVocab = vocabulary{urn: "urn:epcglobal:cbv:bizstep:", terms: []string{"BizStep-"}, words: words(`
		accepting arriving assembling collecting commissioning consigning creating_class_instance
		cycle_counting decommissioning departing destroying disassembling dispensing encoding
		entering_exiting holding inspecting installing killing loading other packing picking
		receiving removing repackaging repairing replacing reserving retail_selling shipping
		staging_outbound stock_taking stocking storing transporting unloading unpacking
		void_shipping sensor_reporting sampling`)}
	dispositionVocab = vocabulary{urn: "urn:epcglobal:cbv:disp:", terms: []string{"Disp-"}, words: words(`
		active container_closed damaged destroyed dispensed disposed encoded expired in_progress
		in_transit inactive no_pedigree_match non_sellable_other partially_dispensed recalled
		reserved retail_sold returned sellable_accessible sellable_not_accessible stolen unknown
		available completeness_verified completeness_inferred conformant container_open
		mismatch_instance mismatch_class mismatch_quantity needs_replacement non_conformant
		unavailable`)}
	bizTransactionTypeVocab = vocabulary{urn: "urn:epcglobal:cbv:btt:", terms: []string{"BTT-"}, words: words(`
		bol cert desadv inv pedigree po poc prodorder recadv rma testprd testres upevt`)}
	sourceDestTypeVocab = vocabulary{urn: "urn:epcglobal:cbv:sdt:", terms: []string{"SDT-"}, words: words(`
		owning_party possessing_party location`)}
	errorReasonVocab = vocabulary{urn: "urn:epcglobal:cbv:er:", terms: []string{"ER-"}, words: words(`
		did_not_occur incorrect_data`)}
	// Measurement types live in the GS1 Web vocabulary as gs1:Temperature;
	// the "MT-" form is what event-hash implementations write.
	measurementTypeVocab = vocabulary{terms: []string{"", "MT-"}, words: words(`
		AbsoluteHumidity AbsorbedDose AbsorbedDoseRate Acceleration Radioactivity Altitude
		AmountOfSubstance AmountOfSubstancePerUnitVolume Angle AngularAcceleration AngularMomentum
		AngularVelocity Area Capacitance Conductance Conductivity Count Density Dimensionless
		DoseEquivalent DoseEquivalentRate DynamicViscosity ElectricCharge ElectricCurrent
		ElectricCurrentDensity ElectricFieldStrength Energy Exposure Force Frequency Illuminance
		Inductance Irradiance KinematicViscosity Length LinearMomentum Luminance LuminousFlux
		LuminousIntensity MagneticFlux MagneticFluxDensity MagneticVectorPotential Mass
		MassConcentration MassFlowRate MassPerAreaTime MemoryCapacity MolalityOfSolute MolarEnergy
		MolarMass MolarVolume Power Pressure RadiantFlux RadiantIntensity RelativeHumidity
		Resistance Resistivity SolidAngle SpecificVolume Speed SurfaceDensity SurfaceTension
		Temperature Time Torque Voltage Volume VolumeFlowRate VolumeFraction VolumetricFlux
		Wavenumber`)}
	sensorAlertVocab = vocabulary{terms: []string{"", "SAT-"}, words: words(`ALARM_CONDITION ERROR_CONDITION`)}
	componentVocab   = vocabulary{terms: []string{"Comp-"}, words: words(`
		x y z axial_distance azimuth height spherical_radius polar_angle elevation_angle easting
		northing latitude longitude altitude`)}
)

// word returns the JSON form of v: the bare word when v names a standard
// value in any of its XML spellings, else v unchanged. scope resolves CURIE
// prefixes declared in the XML document.
func (voc vocabulary) word(v string, scope map[string]string) string {
	if voc.words[v] {
		return v
	}
	if voc.urn != "" && strings.HasPrefix(v, voc.urn) {
		if w := v[len(voc.urn):]; voc.words[w] {
			return w
		}
		return v
	}
	iri := expandCURIE(v, scope)
	for _, base := range webBases {
		rest, ok := strings.CutPrefix(iri, base)
		if !ok {
			continue
		}
		for _, t := range voc.terms {
			if w, ok := strings.CutPrefix(rest, t); ok && voc.words[w] {
				return w
			}
		}
	}
	return v
}

// expandCURIE turns prefix:rest into an IRI when the prefix is declared in
// the XML scope or is one of the JSON-LD context's own prefixes; absolute
// IRIs and URNs come back unchanged.
func expandCURIE(v string, scope map[string]string) string {
	p, rest, ok := strings.Cut(v, ":")
	if !ok || p == "" || strings.HasPrefix(rest, "//") || p == "urn" {
		return v
	}
	if ns, ok := scope[p]; ok && ns != "" {
		return ns + rest
	}
	if ns, ok := standardPrefixes[p]; ok {
		return ns + rest
	}
	return v
}
