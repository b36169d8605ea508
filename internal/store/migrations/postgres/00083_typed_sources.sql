-- Sources and destinations of the CBV's three types (owning_party,
-- possessing_party, location) are stored under roles of their own in
-- epcis_event_nodes (14-16 sources, 17-19 destinations; see trace.Role)
-- instead of twice, as a node of role 10 or 11 and again as a name/value row
-- in epcis_event_fields: EQ_source_owning_party and the like are answered
-- from the node index, and capture writes a row less per entry. Sources and
-- destinations of other types keep roles 10 and 11 and their field row.

-- +goose Up
CREATE TABLE epcis_role_names (
    name TEXT PRIMARY KEY,
    role SMALLINT NOT NULL
);
INSERT INTO epcis_role_names (name, role) VALUES
    ('source:owning_party', 14),
    ('source:urn:epcglobal:cbv:sdt:owning_party', 14),
    ('source:https://ref.gs1.org/cbv/SDT-owning_party', 14),
    ('source:https://gs1.org/voc/SDT-owning_party', 14),
    ('source:http://gs1.org/voc/SDT-owning_party', 14),
    ('source:possessing_party', 15),
    ('source:urn:epcglobal:cbv:sdt:possessing_party', 15),
    ('source:https://ref.gs1.org/cbv/SDT-possessing_party', 15),
    ('source:https://gs1.org/voc/SDT-possessing_party', 15),
    ('source:http://gs1.org/voc/SDT-possessing_party', 15),
    ('source:location', 16),
    ('source:urn:epcglobal:cbv:sdt:location', 16),
    ('source:https://ref.gs1.org/cbv/SDT-location', 16),
    ('source:https://gs1.org/voc/SDT-location', 16),
    ('source:http://gs1.org/voc/SDT-location', 16),
    ('destination:owning_party', 17),
    ('destination:urn:epcglobal:cbv:sdt:owning_party', 17),
    ('destination:https://ref.gs1.org/cbv/SDT-owning_party', 17),
    ('destination:https://gs1.org/voc/SDT-owning_party', 17),
    ('destination:http://gs1.org/voc/SDT-owning_party', 17),
    ('destination:possessing_party', 18),
    ('destination:urn:epcglobal:cbv:sdt:possessing_party', 18),
    ('destination:https://ref.gs1.org/cbv/SDT-possessing_party', 18),
    ('destination:https://gs1.org/voc/SDT-possessing_party', 18),
    ('destination:http://gs1.org/voc/SDT-possessing_party', 18),
    ('destination:location', 19),
    ('destination:urn:epcglobal:cbv:sdt:location', 19),
    ('destination:https://ref.gs1.org/cbv/SDT-location', 19),
    ('destination:https://gs1.org/voc/SDT-location', 19),
    ('destination:http://gs1.org/voc/SDT-location', 19);

INSERT INTO epcis_event_nodes (node, role, seq)
SELECT t.id, r.role, f.seq
FROM epcis_event_fields f
JOIN epcis_role_names r ON r.name = f.name
JOIN trace_nodes t ON t.uri = f.value
WHERE true
ON CONFLICT DO NOTHING;

DELETE FROM epcis_event_fields WHERE name IN (SELECT name FROM epcis_role_names);

-- Roles 10 and 11 are left to the entries of other types, rebuilt from
-- their field rows.
DELETE FROM epcis_event_nodes WHERE role IN (10, 11);
INSERT INTO epcis_event_nodes (node, role, seq)
SELECT t.id, CASE WHEN f.name < 'source:' THEN 11 ELSE 10 END, f.seq
FROM epcis_event_fields f
JOIN trace_nodes t ON t.uri = f.value
WHERE (f.name >= 'source:' AND f.name < 'source;') OR (f.name >= 'destination:' AND f.name < 'destination;')
ON CONFLICT DO NOTHING;

DROP TABLE epcis_role_names;

-- +goose Down
INSERT INTO epcis_event_fields (name, value, seq)
SELECT CASE n.role
    WHEN 14 THEN 'source:owning_party' WHEN 15 THEN 'source:possessing_party' WHEN 16 THEN 'source:location'
    WHEN 17 THEN 'destination:owning_party' WHEN 18 THEN 'destination:possessing_party' ELSE 'destination:location' END,
    t.uri, n.seq
FROM epcis_event_nodes n
JOIN trace_nodes t ON t.id = n.node
WHERE n.role BETWEEN 14 AND 19
ON CONFLICT DO NOTHING;

INSERT INTO epcis_event_nodes (node, role, seq)
SELECT node, CASE WHEN role < 17 THEN 10 ELSE 11 END, seq
FROM epcis_event_nodes
WHERE role BETWEEN 14 AND 19
ON CONFLICT DO NOTHING;

DELETE FROM epcis_event_nodes WHERE role BETWEEN 14 AND 19;
