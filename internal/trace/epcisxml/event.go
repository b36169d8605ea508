package epcisxml

// event converts one event element. Which fields an event type may carry is
// the JSON schema's business, checked after decoding; here every standard
// field is converted wherever it appears, so that nothing is silently lost.
func (c *conv) event(n *node) map[string]any {
	ev := map[string]any{"type": n.local}
	c.userAttrs(n, ev)
	c.eventFields(n, ev)
	return ev
}

// eventFields reads the children of an event, or of one of the <extension>
// and <baseExtension> wrappers in which EPCIS 1.x put the fields it added
// later (eventID, errorDeclaration, quantityList, ilmd …).
func (c *conv) eventFields(n *node, ev map[string]any) {
	for _, k := range n.kids {
		if isUser(k.space) {
			c.putExt(ev, k)
			continue
		}
		if !k.std() {
			c.unknown(k)
			continue
		}
		if _, seen := ev[k.local]; seen && k.local != "certificationInfo" && k.local != "extension" && k.local != "baseExtension" {
			c.errs.Add(k.path(), RuleRepeated, "element", k.step())
			continue
		}
		switch k.local {
		case "eventTime", "recordTime", "eventTimeZoneOffset", "eventID",
			"action", "parentID", "transformationID":
			ev[k.local] = k.textValue()
		case "certificationInfo":
			add(ev, k.local, k.textValue())
		case "extension", "baseExtension":
			c.eventFields(k, ev)
		case "errorDeclaration":
			ev[k.local] = c.errorDeclaration(k)
		case "epcList", "childEPCs", "inputEPCList", "outputEPCList":
			ev[k.local] = c.epcList(k)
		case "quantityList", "childQuantityList", "inputQuantityList", "outputQuantityList":
			ev[k.local] = c.quantityList(k)
		case "bizStep":
			ev[k.local] = bizStepVocab.word(k.textValue(), k.scope)
		case "disposition":
			ev[k.local] = dispositionVocab.word(k.textValue(), k.scope)
		case "readPoint", "bizLocation":
			ev[k.local] = c.location(k)
		case "bizTransactionList":
			ev[k.local] = c.typedList(k, "bizTransaction", bizTransactionTypeVocab, false)
		case "sourceList":
			ev[k.local] = c.typedList(k, "source", sourceDestTypeVocab, true)
		case "destinationList":
			ev[k.local] = c.typedList(k, "destination", sourceDestTypeVocab, true)
		case "sensorElementList":
			ev[k.local] = c.sensorElementList(k)
		case "persistentDisposition":
			ev[k.local] = c.persistentDisposition(k)
		case "ilmd":
			ev[k.local] = c.ilmd(k)
		default:
			c.unknown(k)
		}
	}
}

// epcList reads <epc> children (epcList, childEPCs, input/outputEPCList and
// master data <children> share the shape).
func (c *conv) epcList(n *node) []any {
	return c.idList(n, "epc")
}

func (c *conv) idList(n *node, child string) []any {
	list := []any{}
	for _, k := range n.kids {
		if k.std() && k.local == child {
			list = append(list, k.textValue())
		} else {
			c.unknown(k)
		}
	}
	return list
}

func (c *conv) quantityList(n *node) []any {
	list := []any{}
	for _, k := range n.kids {
		if !k.std() || k.local != "quantityElement" {
			c.unknown(k)
			continue
		}
		q := map[string]any{}
		for _, f := range k.kids {
			switch {
			case f.std() && (f.local == "epcClass" || f.local == "uom"):
				q[f.local] = f.textValue()
			case f.std() && f.local == "quantity":
				if f.isNil() {
					continue // xsi:nil: quantity unknown, as a JSON element without one
				}
				if num, ok := c.number(f, f.textValue()); ok {
					q["quantity"] = num
				}
			default:
				c.unknown(f)
			}
		}
		list = append(list, q)
	}
	return list
}

// location reads readPoint and bizLocation: {"id": …} plus extensions.
func (c *conv) location(n *node) map[string]any {
	loc := map[string]any{}
	c.userAttrs(n, loc)
	for _, k := range n.kids {
		switch {
		case isUser(k.space):
			c.putExt(loc, k)
		case k.std() && k.local == "id":
			loc["id"] = k.textValue()
		case k.std() && k.local == "extension":
			c.extensionInto(k, loc)
		default:
			c.unknown(k)
		}
	}
	return loc
}

// typedList reads bizTransactionList, sourceList and destinationList: each
// child's text is the value and its type attribute a CBV code.
func (c *conv) typedList(n *node, child string, voc vocabulary, typeRequired bool) []any {
	list := []any{}
	for _, k := range n.kids {
		if !k.std() || k.local != child {
			c.unknown(k)
			continue
		}
		item := map[string]any{child: k.textValue()}
		if t, ok := k.attr("type"); ok {
			item["type"] = voc.word(t, k.scope)
		} else if typeRequired {
			item["type"] = "" // the schema refuses it, naming the field
		}
		c.userAttrs(k, item, "type")
		for _, x := range k.kids {
			c.unknown(x)
		}
		list = append(list, item)
	}
	return list
}

func (c *conv) persistentDisposition(n *node) map[string]any {
	pd := map[string]any{}
	for _, k := range n.kids {
		if k.std() && (k.local == "set" || k.local == "unset") {
			list, _ := pd[k.local].([]any)
			pd[k.local] = append(list, dispositionVocab.word(k.textValue(), k.scope))
		} else {
			c.unknown(k)
		}
	}
	return pd
}

// ilmd holds only extension elements (1.x could wrap them in <extension>).
func (c *conv) ilmd(n *node) map[string]any {
	m := map[string]any{}
	c.ilmdInto(n, m)
	return m
}

func (c *conv) ilmdInto(n *node, m map[string]any) {
	for _, k := range n.kids {
		switch {
		case isUser(k.space):
			c.putExt(m, k)
		case k.std() && k.local == "extension":
			c.ilmdInto(k, m)
		default:
			c.unknown(k)
		}
	}
}

func (c *conv) errorDeclaration(n *node) map[string]any {
	ed := map[string]any{}
	c.errorDeclarationInto(n, ed)
	return ed
}

func (c *conv) errorDeclarationInto(n *node, ed map[string]any) {
	for _, k := range n.kids {
		switch {
		case isUser(k.space):
			c.putExt(ed, k)
		case !k.std():
			c.unknown(k)
		case k.local == "declarationTime":
			ed[k.local] = k.textValue()
		case k.local == "reason":
			ed[k.local] = errorReasonVocab.word(k.textValue(), k.scope)
		case k.local == "correctiveEventIDs":
			ed[k.local] = c.idList(k, "correctiveEventID")
		case k.local == "extension":
			c.errorDeclarationInto(k, ed)
		default:
			c.unknown(k)
		}
	}
}
