package web

import "net/http"

func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	v := s.newView(r, "home.title", nil)
	s.render(w, r, http.StatusOK, "home", v)
}
