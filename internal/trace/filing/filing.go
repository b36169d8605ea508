// Package filing keeps key-commodity filings (重点商品备案): an enterprise
// files a product under a key category (infant formula, agricultural
// inputs, building materials, and the others the office switches on) with
// its manufacturer, licence, supplier, lots and documents; the office
// (auth.PermRecallWrite holders of the enterprise's region) approves it or
// returns it with a reason; a returned filing is edited and submitted
// again. Every change of state is kept (filing_history) and audited, the
// office is notified of each submission and the enterprise of each review.
package filing

import (
	"strconv"

	"github.com/hallmark-platform/hallmark/internal/blob"
	"github.com/hallmark-platform/hallmark/internal/trace/ledger"
	"github.com/hallmark-platform/hallmark/internal/workday"
)

// States of a filing.
const (
	StatusSubmitted = "submitted" // waiting for review
	StatusReturned  = "returned"  // sent back with a reason; the enterprise edits and resubmits
	StatusApproved  = "approved"  // filed
)

// Statuses lists the states in display order.
var Statuses = []string{StatusSubmitted, StatusReturned, StatusApproved}

// Review decisions.
const (
	DecisionApprove = "approve"
	DecisionReturn  = "return"
)

// Limits.
const (
	MaxLots  = 50
	MaxFiles = 20
)

// Lot is one lot a filing covers.
type Lot struct {
	Lot      string  `json:"lot"`
	Quantity float64 `json:"quantity"`
	Unit     string  `json:"unit"`
}

// QuantityText is the quantity as people write it.
func (l Lot) QuantityText() string { return strconv.FormatFloat(l.Quantity, 'f', -1, 64) }

// Change is one change of a filing's state.
type Change struct {
	At        int64  `json:"at"`
	Version   int    `json:"version"`
	ActorID   string `json:"actor_id"`
	ActorName string `json:"actor_name"`
	From      string `json:"from"`
	To        string `json:"to"`
	Reason    string `json:"reason,omitempty"`
}

// Filing is a key-commodity filing.
type Filing struct {
	ID             string      `json:"id"`
	RegionCode     string      `json:"region_code"`
	EnterpriseID   string      `json:"enterprise_id"`
	EnterpriseName string      `json:"enterprise_name"`
	ProductName    string      `json:"product_name"`
	Category       string      `json:"category"`
	CategoryNote   string      `json:"category_note,omitempty"`
	GTIN           string      `json:"gtin"`
	ProductCode    string      `json:"product_code"`
	Spec           string      `json:"spec"`
	Manufacturer   string      `json:"manufacturer"`
	LicenceNo      string      `json:"licence_no"`
	SupplierName   string      `json:"supplier_name"`
	SupplierUSCC   string      `json:"supplier_uscc"`
	Documents      string      `json:"documents"`
	Status         string      `json:"status"`
	ReturnReason   string      `json:"return_reason,omitempty"`
	Version        int         `json:"version"`
	SubmittedAt    int64       `json:"submitted_at"`
	ReviewedAt     int64       `json:"reviewed_at,omitempty"`
	ReviewedBy     string      `json:"reviewed_by,omitempty"`
	Lots           []Lot       `json:"lots"`
	Files          []blob.File `json:"files"`
	History        []Change    `json:"history,omitempty"`
	CreatedBy      string      `json:"created_by"`
	CreatedAt      int64       `json:"created_at"`
	UpdatedAt      int64       `json:"updated_at"`
}

// Input files a key commodity, or edits a returned filing. EnterpriseID or
// EnterpriseUSCC names the enterprise when an officer files for one.
// Either GTIN or ProductCode identifies the product; Documents lists the
// documents' numbers and titles, Files attaches them (stored with
// blob.Store.Put); at least one of the two is required.
type Input struct {
	EnterpriseID   string      `json:"enterprise_id"`
	EnterpriseUSCC string      `json:"enterprise_uscc"`
	ProductName    string      `json:"product_name"`
	Category       string      `json:"category"`
	CategoryNote   string      `json:"category_note"`
	GTIN           string      `json:"gtin"`
	ProductCode    string      `json:"product_code"`
	Spec           string      `json:"spec"`
	Manufacturer   string      `json:"manufacturer"`
	LicenceNo      string      `json:"licence_no"`
	SupplierName   string      `json:"supplier_name"`
	SupplierUSCC   string      `json:"supplier_uscc"`
	Lots           []Lot       `json:"lots"`
	Documents      string      `json:"documents"`
	Files          []blob.File `json:"files"`
}

// ReviewInput is the office's decision: approve, or return with a reason.
type ReviewInput struct {
	Decision string `json:"decision"`
	Reason   string `json:"reason"`
}

// shanghai is the zone times are written in.
var shanghai = workday.Shanghai

// UnitText is the lot's unit in lang, for pages.
func (l Lot) UnitText(lang string) string { return ledger.UnitLabel(l.Unit, lang) }
