package serve

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// imageParams are the fields /v1/images/generations and /edits share.
type imageParams struct {
	Model          string `json:"model"`
	Prompt         string `json:"prompt"`
	N              *int   `json:"n"`
	Size           string `json:"size"`
	ResponseFormat string `json:"response_format"`
	Seed           *int64 `json:"seed"`
}

const maxImagesN = 8

func (s *Server) checkImageParams(p *imageParams) (int, error) {
	if err := s.checkModel(p.Model, false); err != nil {
		return 0, err
	}
	if !s.m.CanDrawImages() || !s.m.CanDecodeImages() {
		return 0, badRequest("model", "this model cannot draw images")
	}
	if strings.TrimSpace(p.Prompt) == "" {
		return 0, badRequest("prompt", "prompt: missing")
	}
	n := 1
	if p.N != nil {
		n = *p.N
	}
	if n < 1 || n > maxImagesN {
		return 0, badRequest("n", "n %d: want 1 to %d", n, maxImagesN)
	}
	side := s.m.VQ.Cfg.Resolution
	native := fmt.Sprintf("%dx%d", side, side)
	if p.Size != "" && p.Size != "auto" && p.Size != native {
		return 0, badRequest("size", "size %q: this model draws %s images (give %s or auto)", p.Size, native, native)
	}
	if p.ResponseFormat != "" && p.ResponseFormat != "b64_json" {
		return 0, badRequest("response_format", "response_format %q: only b64_json (the server keeps no files to link to)", p.ResponseFormat)
	}
	return n, nil
}

// drawImages runs n one-shot generations (seeds seed, seed+1, ...) of
// prompt after the given images and answers with their PNGs.
func (s *Server) drawImages(w http.ResponseWriter, r *http.Request, p *imageParams, n int, images []imageRef) {
	opts, seed, err := s.sampling(nil, nil, nil, p.Seed, [4]string{"", "", "", "seed"})
	if err != nil {
		s.fail(w, false, err)
		return
	}
	opts.StartImage, opts.Images = true, false
	turns, err := s.buildTurns([]rawTurn{{role: "user", text: p.Prompt, images: images}})
	if err != nil {
		s.fail(w, false, err)
		return
	}
	var data []any
	for i := 0; i < n; i++ {
		res, err := s.generate(r.Context(), &genRequest{turns: turns, opts: opts, seed: seed + uint64(i)}, discard{})
		if err != nil {
			s.fail(w, false, err)
			return
		}
		if len(res.images) == 0 {
			s.fail(w, false, errors.New("the model produced no image"))
			return
		}
		data = append(data, map[string]any{"b64_json": b64(res.images[0].png), "revised_prompt": p.Prompt})
	}
	writeJSON(w, http.StatusOK, map[string]any{"created": time.Now().Unix(), "data": data})
}

func (s *Server) openaiImageGenerations(w http.ResponseWriter, r *http.Request) {
	var p imageParams
	if err := decodeJSON(r, &p); err != nil {
		s.fail(w, false, err)
		return
	}
	n, err := s.checkImageParams(&p)
	if err != nil {
		s.fail(w, false, err)
		return
	}
	s.drawImages(w, r, &p, n, nil)
}

// openaiImageEdits takes multipart fields image (or image[]), prompt, n,
// size, response_format.
func (s *Server) openaiImageEdits(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseMultipartForm(8 << 20); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			s.fail(w, false, err)
			return
		}
		s.fail(w, false, badRequest("", "want a multipart/form-data body with image and prompt: %v", err))
		return
	}
	defer r.MultipartForm.RemoveAll()
	f := r.MultipartForm
	get := func(k string) string {
		if v := f.Value[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	p := imageParams{Model: get("model"), Prompt: get("prompt"), Size: get("size"), ResponseFormat: get("response_format")}
	for _, k := range []string{"n", "seed"} {
		if v := get(k); v != "" {
			x, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				s.fail(w, false, badRequest(k, "%s %q: want an integer", k, v))
				return
			}
			if k == "n" {
				nn := int(x)
				p.N = &nn
			} else {
				p.Seed = &x
			}
		}
	}
	n, err := s.checkImageParams(&p)
	if err != nil {
		s.fail(w, false, err)
		return
	}
	files := append(f.File["image"], f.File["image[]"]...)
	if len(files) == 0 {
		s.fail(w, false, badRequest("image", "image: missing (a PNG or JPEG file field)"))
		return
	}
	if len(files) > 4 {
		s.fail(w, false, badRequest("image", "%d images: at most 4", len(files)))
		return
	}
	var refs []imageRef
	for i, fh := range files {
		name := fmt.Sprintf("image[%d]", i)
		if fh.Size > s.cfg.MaxImage {
			s.fail(w, false, &apiError{status: 413, msg: fmt.Sprintf("%s: %d bytes, more than the %d allowed", name, fh.Size, s.cfg.MaxImage), typ: "invalid_request_error", param: "image"})
			return
		}
		fd, err := fh.Open()
		if err != nil {
			s.fail(w, false, badRequest("image", "%s: %v", name, err))
			return
		}
		data, err := io.ReadAll(io.LimitReader(fd, s.cfg.MaxImage+1))
		fd.Close()
		if err != nil {
			s.fail(w, false, badRequest("image", "%s: %v", name, err))
			return
		}
		refs = append(refs, imageRef{name: name, data: data})
	}
	s.drawImages(w, r, &p, n, refs)
}
