package web

// registerLabAPIRoutes: the testing system's JSON API under /api/v1/.
func (s *Server) registerLabAPIRoutes() {
}
