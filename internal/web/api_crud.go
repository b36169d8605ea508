package web

import (
	"context"
	"net/http"

	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/store"
)

// The registry's JSON API is the same four verbs for every kind of record;
// these build the handlers from the domain functions, so each kind's list,
// create, get and patch behave alike (paging, problem+json, Location).

type listFunc[T, F any] func(context.Context, store.Queryer, *auth.User, F) ([]T, int, error)

func apiList[T, F any](s *Server, filter func(*http.Request, page) F, list listFunc[T, F]) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		pg, ok := s.apiPage(w, r)
		if !ok {
			return
		}
		items, total, err := list(r.Context(), s.db, userFrom(r.Context()), filter(r, pg))
		if err != nil {
			s.apiError(w, r, err)
			return
		}
		if items == nil {
			items = []T{}
		}
		writeJSON(w, http.StatusOK, listResponse[T]{Items: items, Total: total, Limit: pg.Limit, Offset: pg.Offset})
	}
}

func apiCreate[In, Out any](s *Server, base string, create func(context.Context, *store.DB, *auth.User, In) (*Out, error), id func(*Out) string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var in In
		if !s.decodeJSON(w, r, &in) {
			return
		}
		out, err := create(r.Context(), s.db, userFrom(r.Context()), in)
		if err != nil {
			s.apiError(w, r, err)
			return
		}
		w.Header().Set("Location", base+"/"+id(out))
		writeJSON(w, http.StatusCreated, out)
	}
}

func apiGet[Out any](s *Server, get func(context.Context, store.Queryer, *auth.User, string) (*Out, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		out, err := get(r.Context(), s.db, userFrom(r.Context()), r.PathValue("id"))
		if err != nil {
			s.apiError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, out)
	}
}

func apiPatch[P, Out any](s *Server, update func(context.Context, *store.DB, *auth.User, string, P) (*Out, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var p P
		if !s.decodeJSON(w, r, &p) {
			return
		}
		out, err := update(r.Context(), s.db, userFrom(r.Context()), r.PathValue("id"), p)
		if err != nil {
			s.apiError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, out)
	}
}
