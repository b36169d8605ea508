package epcisxml

// header reads <EPCISHeader>: the Standard Business Document Header gives
// the document's sender, receiver and instanceIdentifier (the JSON binding's
// names for them), master data goes to epcisHeader.epcisMasterData.
func (c *conv) header(n *node, doc map[string]any) {
	h := map[string]any{}
	c.headerInto(n, doc, h)
	if len(h) > 0 {
		doc["epcisHeader"] = h
	}
}

func (c *conv) headerInto(n *node, doc, h map[string]any) {
	for _, k := range n.kids {
		switch {
		case k.space == nsSBDH && k.local == "StandardBusinessDocumentHeader":
			c.sbdh(k, doc)
		case isUser(k.space):
			c.putExt(h, k)
		case k.std() && k.local == "extension":
			c.headerInto(k, doc, h)
		case k.local == "EPCISMasterData" && k.std():
			h["epcisMasterData"] = c.masterData(k)
		default:
			c.unknown(k)
		}
	}
}

// sbdh takes the three SBDH values the JSON document has fields for; the
// rest of the SBDH describes the XML envelope and has no JSON counterpart.
func (c *conv) sbdh(n *node, doc map[string]any) {
	for _, k := range n.kids {
		if k.space != nsSBDH {
			continue
		}
		switch k.local {
		case "Sender", "Receiver":
			key := "sender"
			if k.local == "Receiver" {
				key = "receiver"
			}
			if id := child(k, nsSBDH, "Identifier"); id != nil {
				if _, done := doc[key]; !done {
					doc[key] = id.textValue()
				}
			}
		case "DocumentIdentification":
			if id := child(k, nsSBDH, "InstanceIdentifier"); id != nil {
				doc["instanceIdentifier"] = id.textValue()
			}
		}
	}
}

func child(n *node, space, local string) *node {
	for _, k := range n.kids {
		if k.space == space && k.local == local {
			return k
		}
	}
	return nil
}

func (c *conv) masterData(n *node) map[string]any {
	md := map[string]any{}
	for _, k := range n.kids {
		switch {
		case k.std() && k.local == "VocabularyList":
			md["vocabularyList"] = c.vocabularyList(k)
		case k.std() && k.local == "extension":
			c.extensionInto(k, md)
		case isUser(k.space):
			c.putExt(md, k)
		default:
			c.unknown(k)
		}
	}
	return md
}

func (c *conv) vocabularyList(n *node) []any {
	list := []any{}
	for _, k := range n.kids {
		if !k.std() || k.local != "Vocabulary" {
			c.unknown(k)
			continue
		}
		v := map[string]any{}
		if t, ok := k.attr("type"); ok {
			v["type"] = t
		}
		c.userAttrs(k, v, "type")
		for _, e := range k.kids {
			switch {
			case e.std() && e.local == "VocabularyElementList":
				v["vocabularyElementList"] = c.vocabularyElements(e)
			case e.std() && e.local == "extension":
				c.extensionInto(e, v)
			case isUser(e.space):
				c.putExt(v, e)
			default:
				c.unknown(e)
			}
		}
		list = append(list, v)
	}
	return list
}

func (c *conv) vocabularyElements(n *node) []any {
	list := []any{}
	for _, k := range n.kids {
		if !k.std() || k.local != "VocabularyElement" {
			c.unknown(k)
			continue
		}
		el := map[string]any{}
		if id, ok := k.attr("id"); ok {
			el["id"] = id
		}
		c.userAttrs(k, el, "id")
		for _, a := range k.kids {
			switch {
			case a.std() && a.local == "attribute":
				attrs, _ := el["attributes"].([]any)
				el["attributes"] = append(attrs, c.masterAttribute(a))
			case a.std() && a.local == "children":
				el["children"] = c.idList(a, "id")
			case a.std() && a.local == "extension":
				c.extensionInto(a, el)
			case isUser(a.space):
				c.putExt(el, a)
			default:
				c.unknown(a)
			}
		}
		list = append(list, el)
	}
	return list
}

// masterAttribute reads <attribute id="…">value</attribute>; a value made of
// elements becomes an object like any extension.
func (c *conv) masterAttribute(n *node) map[string]any {
	a := map[string]any{}
	if id, ok := n.attr("id"); ok {
		a["id"] = id
	}
	c.userAttrs(n, a, "id")
	val := map[string]any{}
	for _, k := range n.kids {
		add(val, c.ns.key(k.space, k.prefix, k.local), c.extValue(k))
	}
	if len(val) > 0 {
		a["attribute"] = val
	} else {
		a["attribute"] = n.textValue()
	}
	return a
}
