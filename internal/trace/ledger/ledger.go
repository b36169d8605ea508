// Package ledger keeps an enterprise's traceability books: its incoming
// checks with the supplier's documents (进货查验记录、索证索票, 食品安全法
// 第五十条、第五十三条) and, for a wholesaler, its sales records (销售记录).
//
// Each entry is stored in ledger_entries and also captured as an EPCIS 2.0
// ObjectEvent (traceability.md §8.1): an incoming check is an OBSERVE event
// with bizStep receiving and disposition in_progress, the supplier as the
// source owning party and the enterprise as the destination; a sale is the
// same with bizStep shipping, disposition in_transit, and the buyer as the
// destination. The lot is the event's quantityList class, the supplier's
// documents its bizTransactionList (cert, testres, inv), and its eventID is
// urn:uuid:{entry ID}, so the event is found from the entry and back.
//
// Visibility follows the register: an enterprise sees and records only its
// own entries; officers and the office see those of their region and may
// record for an enterprise in it.
package ledger

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/hallmark-platform/hallmark/internal/blob"
)

// Kinds of entry.
const (
	KindIncoming = "incoming" // 进货查验 (receiving)
	KindSale     = "sale"     // 销售记录 (shipping)
)

// Shelf-life units.
const (
	Days   = "day"
	Months = "month"
)

// MaxFiles is how many attachments one entry may carry.
const MaxFiles = 10

// Entry is one incoming check or sale. Party is the supplier of an incoming
// check and the buyer of a sale; Date is the arrival or sale date. JSON
// names follow the kind (supplier_… and arrival_date, or buyer_… and
// sale_date).
type Entry struct {
	ID                string
	Kind              string
	RegionCode        string
	EnterpriseID      string
	EnterpriseName    string
	EnterpriseUSCC    string
	PartyUSCC         string
	PartyName         string
	PartyAddress      string
	PartyContact      string
	PartyEnterpriseID string // the party's enterprise when it is registered
	PartyID           string // the party's identifier in events
	ProductName       string
	GTIN              string
	Spec              string
	ProductCode       string
	Lot               string
	LotID             string // the lot's identifier in events
	Quantity          float64
	Unit              string
	ProductionDate    string
	ShelfLife         int
	ShelfLifeUnit     string
	ExpiryDate        string
	Date              string
	LicenceNo         string
	TestReportNo      string
	CertNo            string
	InvoiceNo         string
	Note              string
	RetainUntil       string
	EventID           string
	CaptureID         string
	CapturedAt        int64
	Files             []blob.File
	CreatedBy         string
	CreatedAt         int64
}

// partyWord is the JSON prefix of the party's fields for kind.
func partyWord(kind string) string {
	if kind == KindSale {
		return "buyer"
	}
	return "supplier"
}

// dateField is the JSON name of the entry's date for kind.
func dateField(kind string) string {
	if kind == KindSale {
		return "sale_date"
	}
	return "arrival_date"
}

// MarshalJSON names the party and the date after the entry's kind.
func (e Entry) MarshalJSON() ([]byte, error) {
	p := partyWord(e.Kind)
	files := e.Files
	if files == nil {
		files = []blob.File{}
	}
	m := map[string]any{
		"id": e.ID, "kind": e.Kind, "region_code": e.RegionCode, "enterprise_id": e.EnterpriseID,
		"enterprise_name": e.EnterpriseName, "enterprise_uscc": e.EnterpriseUSCC,
		p + "_uscc": e.PartyUSCC, p + "_name": e.PartyName, p + "_address": e.PartyAddress, p + "_contact": e.PartyContact,
		p + "_enterprise_id": e.PartyEnterpriseID, p + "_id": e.PartyID,
		"product_name": e.ProductName, "gtin": e.GTIN, "spec": e.Spec, "product_code": e.ProductCode,
		"lot": e.Lot, "lot_id": e.LotID, "quantity": e.Quantity, "unit": e.Unit,
		"production_date": e.ProductionDate, "shelf_life": e.ShelfLife, "shelf_life_unit": e.ShelfLifeUnit,
		"expiry_date": e.ExpiryDate, dateField(e.Kind): e.Date,
		"cert_no": e.CertNo, "test_report_no": e.TestReportNo, "invoice_no": e.InvoiceNo,
		"note": e.Note, "retain_until": e.RetainUntil, "event_id": e.EventID, "captured": e.CapturedAt != 0,
		"files": files, "created_by": e.CreatedBy, "created_at": e.CreatedAt,
	}
	if e.Kind == KindIncoming {
		m["licence_no"] = e.LicenceNo
	}
	return json.Marshal(m)
}

// QuantityText is the quantity as people write it (no trailing zeros).
func (e Entry) QuantityText() string { return strconv.FormatFloat(e.Quantity, 'f', -1, 64) }

// IncomingInput records an incoming check. The supplier is given by USCC
// (a registered supplier's name is then filled in) or by name; the product
// by GTIN (a registered product's name is then filled in) or by name.
// EnterpriseID or EnterpriseUSCC names the enterprise when an officer
// records for one; an enterprise user records for itself.
type IncomingInput struct {
	EnterpriseID    string      `json:"enterprise_id"`
	EnterpriseUSCC  string      `json:"enterprise_uscc"`
	SupplierUSCC    string      `json:"supplier_uscc"`
	SupplierName    string      `json:"supplier_name"`
	SupplierAddress string      `json:"supplier_address"`
	SupplierContact string      `json:"supplier_contact"`
	ProductName     string      `json:"product_name"`
	GTIN            string      `json:"gtin"`
	Spec            string      `json:"spec"`
	Lot             string      `json:"lot"`
	Quantity        float64     `json:"quantity"`
	Unit            string      `json:"unit"`
	ProductionDate  string      `json:"production_date"`
	ShelfLife       int         `json:"shelf_life"`
	ShelfLifeUnit   string      `json:"shelf_life_unit"`
	ArrivalDate     string      `json:"arrival_date"`
	LicenceNo       string      `json:"licence_no"`
	TestReportNo    string      `json:"test_report_no"`
	CertNo          string      `json:"cert_no"`
	InvoiceNo       string      `json:"invoice_no"`
	Note            string      `json:"note"`
	Files           []blob.File `json:"files"`
}

// SaleInput records a sale to a buyer (a wholesaler's 销售记录, with the
// product's 合格证 number as 第五十一条 asks of a producer's sales).
type SaleInput struct {
	EnterpriseID   string      `json:"enterprise_id"`
	EnterpriseUSCC string      `json:"enterprise_uscc"`
	BuyerUSCC      string      `json:"buyer_uscc"`
	BuyerName      string      `json:"buyer_name"`
	BuyerAddress   string      `json:"buyer_address"`
	BuyerContact   string      `json:"buyer_contact"`
	ProductName    string      `json:"product_name"`
	GTIN           string      `json:"gtin"`
	Spec           string      `json:"spec"`
	Lot            string      `json:"lot"`
	Quantity       float64     `json:"quantity"`
	Unit           string      `json:"unit"`
	ProductionDate string      `json:"production_date"`
	ShelfLife      int         `json:"shelf_life"`
	ShelfLifeUnit  string      `json:"shelf_life_unit"`
	SaleDate       string      `json:"sale_date"`
	TestReportNo   string      `json:"test_report_no"`
	CertNo         string      `json:"cert_no"`
	InvoiceNo      string      `json:"invoice_no"`
	Note           string      `json:"note"`
	Files          []blob.File `json:"files"`
}

// input is either kind's input in one shape.
type input struct {
	kind                                             string
	enterpriseID, enterpriseUSCC                     string
	partyUSCC, partyName, partyAddress, partyContact string
	productName, gtin, spec, lot                     string
	quantity                                         float64
	unit                                             string
	productionDate                                   string
	shelfLife                                        int
	shelfLifeUnit                                    string
	date                                             string
	licenceNo, testReportNo, certNo, invoiceNo       string
	note                                             string
	files                                            []blob.File
}

func (in IncomingInput) common() input {
	return input{kind: KindIncoming, enterpriseID: in.EnterpriseID, enterpriseUSCC: in.EnterpriseUSCC,
		partyUSCC: in.SupplierUSCC, partyName: in.SupplierName, partyAddress: in.SupplierAddress, partyContact: in.SupplierContact,
		productName: in.ProductName, gtin: in.GTIN, spec: in.Spec, lot: in.Lot, quantity: in.Quantity, unit: in.Unit,
		productionDate: in.ProductionDate, shelfLife: in.ShelfLife, shelfLifeUnit: in.ShelfLifeUnit, date: in.ArrivalDate,
		licenceNo: in.LicenceNo, testReportNo: in.TestReportNo, certNo: in.CertNo, invoiceNo: in.InvoiceNo,
		note: in.Note, files: in.Files}
}

func (in SaleInput) common() input {
	return input{kind: KindSale, enterpriseID: in.EnterpriseID, enterpriseUSCC: in.EnterpriseUSCC,
		partyUSCC: in.BuyerUSCC, partyName: in.BuyerName, partyAddress: in.BuyerAddress, partyContact: in.BuyerContact,
		productName: in.ProductName, gtin: in.GTIN, spec: in.Spec, lot: in.Lot, quantity: in.Quantity, unit: in.Unit,
		productionDate: in.ProductionDate, shelfLife: in.ShelfLife, shelfLifeUnit: in.ShelfLifeUnit, date: in.SaleDate,
		testReportNo: in.TestReportNo, certNo: in.CertNo, invoiceNo: in.InvoiceNo, note: in.Note, files: in.Files}
}

// UnitText is the entry's unit in lang, for pages.
func (e Entry) UnitText(lang string) string { return UnitLabel(e.Unit, lang) }

// ShelfLifeText is the entry's shelf life in lang ("" without one).
func (e Entry) ShelfLifeText(lang string) string {
	if e.ShelfLife == 0 {
		return ""
	}
	sep := ""
	if strings.HasPrefix(lang, "en") {
		sep = " "
	}
	return strconv.Itoa(e.ShelfLife) + sep + ShelfLifeLabel(e.ShelfLifeUnit, lang)
}
