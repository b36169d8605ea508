package web

func (s *Server) registerRegistryRoutes() {}
