package web

import (
	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/registry"
)

func (s *Server) registerRegistryRoutes() {
	read, write, keep := auth.PermRegistryRead, auth.PermRegistryWrite, auth.PermLicenceWrite

	s.handle("GET /enterprises", read, s.enterpriseList)
	s.handle("GET /enterprises/export", read, s.enterpriseExport)
	s.handle("GET /enterprises/new", write, s.enterpriseNew)
	s.handle("POST /enterprises", write, s.enterpriseCreate)
	s.handle("GET /enterprises/import", write, s.enterpriseImportPage)
	s.handle("GET /enterprises/import/template", write, s.enterpriseImportTemplate)
	s.handle("POST /enterprises/import", write, s.enterpriseImport)
	s.handle("GET /enterprises/{id}", read, s.enterpriseShow)
	s.handle("GET /enterprises/{id}/edit", write, s.enterpriseEdit)
	s.handle("POST /enterprises/{id}", write, s.enterpriseUpdate)

	s.handle("GET /licences", read, s.licenceList)
	s.handle("GET /licences/export", read, s.licenceExport)
	s.handle("GET /enterprises/{id}/licences/new", keep, s.licenceNew)
	s.handle("POST /enterprises/{id}/licences", keep, s.licenceCreate)
	s.handle("GET /licences/{id}", read, s.licenceShow)
	s.handle("GET /licences/{id}/edit", keep, s.licenceEdit)
	s.handle("POST /licences/{id}", keep, s.licenceUpdate)

	s.handle("GET /products", read, s.productList)
	s.handle("GET /products/export", read, s.productExport)
	s.handle("GET /enterprises/{id}/products/new", keep, s.productNew)
	s.handle("POST /enterprises/{id}/products", keep, s.productCreate)
	s.handle("GET /products/{id}", read, s.productShow)
	s.handle("GET /products/{id}/edit", keep, s.productEdit)
	s.handle("POST /products/{id}", keep, s.productUpdate)

	s.handle("GET /api/v1/enterprises", read, apiList(s, enterpriseFilter, registry.ListEnterprises))
	s.handle("POST /api/v1/enterprises", write, apiCreate(s, "/api/v1/enterprises", registry.CreateEnterprise,
		func(e *registry.Enterprise) string { return e.ID }))
	s.handle("GET /api/v1/enterprises/{id}", read, apiGet(s, registry.GetEnterprise))
	s.handle("PATCH /api/v1/enterprises/{id}", write, apiPatch(s, registry.UpdateEnterprise))
	s.handle("GET /api/v1/licences", read, apiList(s, licenceFilter, registry.ListLicences))
	s.handle("POST /api/v1/licences", keep, apiCreate(s, "/api/v1/licences", registry.CreateLicence,
		func(l *registry.Licence) string { return l.ID }))
	s.handle("GET /api/v1/licences/{id}", read, apiGet(s, registry.GetLicence))
	s.handle("PATCH /api/v1/licences/{id}", keep, apiPatch(s, registry.UpdateLicence))
	s.handle("GET /api/v1/products", read, apiList(s, productFilter, registry.ListProducts))
	s.handle("POST /api/v1/products", keep, apiCreate(s, "/api/v1/products", registry.CreateProduct,
		func(p *registry.Product) string { return p.ID }))
	s.handle("GET /api/v1/products/{id}", read, apiGet(s, registry.GetProduct))
	s.handle("PATCH /api/v1/products/{id}", keep, apiPatch(s, registry.UpdateProduct))
}
