package web

// registerLabPageRoutes: the testing system's pages, and the public report
// verification page.
func (s *Server) registerLabPageRoutes() {
}
