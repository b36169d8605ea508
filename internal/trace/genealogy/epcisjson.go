package genealogy

import "time"

// The EPCIS 2.0 JSON-LD the generator writes: only the fields it uses, in
// the order GS1's examples show them.

type document struct {
	Context       []string `json:"@context"`
	Type          string   `json:"type"`
	SchemaVersion string   `json:"schemaVersion"`
	CreationDate  string   `json:"creationDate"`
	Body          body     `json:"epcisBody"`
}

type body struct {
	EventList []*event `json:"eventList"`
}

type event struct {
	Type                string           `json:"type"`
	EventID             string           `json:"eventID"`
	EventTime           string           `json:"eventTime"`
	EventTimeZoneOffset string           `json:"eventTimeZoneOffset"`
	EPCList             []string         `json:"epcList,omitempty"`
	ParentID            string           `json:"parentID,omitempty"`
	ChildEPCs           []string         `json:"childEPCs,omitempty"`
	QuantityList        []quantity       `json:"quantityList,omitempty"`
	ChildQuantityList   []quantity       `json:"childQuantityList,omitempty"`
	InputQuantityList   []quantity       `json:"inputQuantityList,omitempty"`
	OutputQuantityList  []quantity       `json:"outputQuantityList,omitempty"`
	Action              string           `json:"action,omitempty"`
	BizStep             string           `json:"bizStep,omitempty"`
	Disposition         string           `json:"disposition,omitempty"`
	ReadPoint           *id              `json:"readPoint,omitempty"`
	BizLocation         *id              `json:"bizLocation,omitempty"`
	BizTransactionList  []bizTransaction `json:"bizTransactionList,omitempty"`
	SourceList          []source         `json:"sourceList,omitempty"`
	DestinationList     []destination    `json:"destinationList,omitempty"`

	at    time.Time // when it happens, for ordering
	order uint64    // when it was generated, to break ties
}

type quantity struct {
	EPCClass string  `json:"epcClass"`
	Quantity float64 `json:"quantity"`
	UOM      string  `json:"uom"`
}

type id struct {
	ID string `json:"id"`
}

type bizTransaction struct {
	Type           string `json:"type"`
	BizTransaction string `json:"bizTransaction"`
}

type source struct {
	Type   string `json:"type"`
	Source string `json:"source"`
}

type destination struct {
	Type        string `json:"type"`
	Destination string `json:"destination"`
}
