package serve

import (
	"bytes"
	"container/list"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"image"
	"strings"
	"sync"

	"github.com/chatumm/chatumm/model/chat"
)

// maxImagePixels bounds an input picture's declared size: the model sees
// it at its VQ-GAN's resolution anyway, and decoding costs memory in
// proportion to the pixels.
const maxImagePixels = 16_000_000

// imageCache maps an image's bytes (by SHA-256) to its VQ codes: a client
// resends every image of the dialogue with every request, and each is
// encoded once. Images the model drew are put in with their own codes, so
// a resent drawing reads exactly as drawn (re-encoding the PNG could give
// other codes). LRU, bounded by entries.
type imageCache struct {
	mu    sync.Mutex
	max   int
	byKey map[[32]byte]*list.Element
	order *list.List // front: most recent
}

type cachedImage struct {
	key [32]byte
	im  chat.Image
}

func newImageCache(max int) *imageCache {
	return &imageCache{max: max, byKey: map[[32]byte]*list.Element{}, order: list.New()}
}

func (c *imageCache) get(data []byte) (chat.Image, bool) {
	key := sha256.Sum256(data)
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byKey[key]; ok {
		c.order.MoveToFront(e)
		return e.Value.(*cachedImage).im, true
	}
	return chat.Image{}, false
}

func (c *imageCache) put(data []byte, im chat.Image) {
	key := sha256.Sum256(data)
	im.Path = ""
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byKey[key]; ok {
		e.Value.(*cachedImage).im = im
		c.order.MoveToFront(e)
		return
	}
	c.byKey[key] = c.order.PushFront(&cachedImage{key: key, im: im})
	for c.order.Len() > c.max {
		last := c.order.Back()
		delete(c.byKey, last.Value.(*cachedImage).key)
		c.order.Remove(last)
	}
}

// encodeImage turns image bytes into codes, from the cache when seen
// before. name says where in the request the image was (errors name it).
func (s *Server) encodeImage(name string, data []byte) (chat.Image, error) {
	if im, ok := s.images.get(data); ok {
		return im, nil
	}
	if !s.m.CanReadImages() {
		return chat.Image{}, badRequest(name, "%s: this model cannot read images", name)
	}
	if int64(len(data)) > s.cfg.MaxImage {
		return chat.Image{}, &apiError{status: 413, msg: fmt.Sprintf("%s: image of %d bytes is larger than the %d allowed", name, len(data), s.cfg.MaxImage), typ: "invalid_request_error", param: name, code: "image_too_large"}
	}
	// A small compressed file can declare a huge picture; a server decoding
	// several at once caps them lower than the command line does.
	if cfg, _, err := image.DecodeConfig(bytes.NewReader(data)); err == nil && int64(cfg.Width)*int64(cfg.Height) > maxImagePixels {
		return chat.Image{}, &apiError{status: 413, msg: fmt.Sprintf("%s: a %d×%d image is more than the %d megapixels allowed", name, cfg.Width, cfg.Height, maxImagePixels/1_000_000), typ: "invalid_request_error", param: name, code: "image_too_large"}
	}
	var im chat.Image
	var err error
	if s.m.Proto.Image.Features { // read by the vision tower (Janus)
		im.Features, err = s.m.ImageFeaturesBytes(name, data)
	} else {
		im.Codes, err = s.m.EncodeImageBytes(name, data)
	}
	if err != nil {
		return chat.Image{}, badRequest(name, "%v", err)
	}
	s.images.put(data, im)
	return im, nil
}

// imageRef is an image as a request carries it, decoded later (after the
// request's other fields are checked and a slot is near).
type imageRef struct {
	name string
	data []byte
}

// parseDataURL takes a data:image/png|jpeg;base64 URL, or (ollama and
// lenient OpenAI clients) bare base64.
func parseDataURL(name, url string) (imageRef, error) {
	url = strings.TrimSpace(url)
	lower := strings.ToLower(url[:min(len(url), 16)])
	if strings.HasPrefix(lower, "http://") || strings.HasPrefix(lower, "https://") {
		return imageRef{}, badRequest(name, "%s: remote image URLs are not fetched (this server works offline); send the image inline as a data:image/png;base64,... URL", name)
	}
	payload := url
	if strings.HasPrefix(lower, "data:") {
		meta, rest, ok := strings.Cut(url[5:], ",")
		if !ok {
			return imageRef{}, badRequest(name, "%s: malformed data URL (no comma)", name)
		}
		mt := strings.ToLower(meta)
		if !strings.HasSuffix(mt, ";base64") {
			return imageRef{}, badRequest(name, "%s: data URL must be base64 (data:image/png;base64,...)", name)
		}
		switch strings.TrimSuffix(mt, ";base64") {
		case "image/png", "image/jpeg", "image/jpg", "":
		default:
			return imageRef{}, badRequest(name, "%s: %s images are not supported: send PNG or JPEG", name, strings.TrimSuffix(meta, ";base64"))
		}
		payload = rest
	}
	data, err := decodeBase64(payload)
	if err != nil {
		return imageRef{}, badRequest(name, "%s: invalid base64: %v", name, err)
	}
	if len(data) == 0 {
		return imageRef{}, badRequest(name, "%s: empty image", name)
	}
	return imageRef{name: name, data: data}, nil
}

// decodeBase64 accepts standard base64 with or without padding, and the
// URL-safe alphabet; whitespace (line-wrapped base64) is ignored.
func decodeBase64(s string) ([]byte, error) {
	if strings.ContainsAny(s, " \n\r\t") {
		s = strings.Map(func(r rune) rune {
			if r == ' ' || r == '\n' || r == '\r' || r == '\t' {
				return -1
			}
			return r
		}, s)
	}
	s = strings.TrimRight(s, "=")
	if strings.ContainsAny(s, "-_") {
		return base64.RawURLEncoding.DecodeString(s)
	}
	return base64.RawStdEncoding.DecodeString(s)
}

func dataURL(png []byte) string {
	var b bytes.Buffer
	b.WriteString("data:image/png;base64,")
	b.WriteString(base64.StdEncoding.EncodeToString(png))
	return b.String()
}

// rawTurn is a turn as parsed, before its images are encoded.
type rawTurn struct {
	role   chat.Role
	text   string
	images []imageRef
}

// buildTurns merges consecutive messages of one role into one turn, moves
// system text to the front of the next user turn (the protocol has no
// system role), encodes the images and checks that the dialogue ends with
// the user.
func (s *Server) buildTurns(msgs []rawTurn) ([]reqTurn, error) {
	if len(msgs) == 0 {
		return nil, badRequest("messages", "messages: want at least one message")
	}
	if len(msgs) > maxMessages {
		return nil, badRequest("messages", "messages: %d messages, at most %d allowed", len(msgs), maxMessages)
	}
	nImages := 0
	for _, m := range msgs {
		nImages += len(m.images)
	}
	if nImages > maxImagesPerRequest {
		return nil, badRequest("messages", "%d images in one request, at most %d allowed", nImages, maxImagesPerRequest)
	}
	var turns []reqTurn
	var system []string
	for _, m := range msgs {
		if m.role == "system" {
			if m.text != "" {
				system = append(system, m.text)
			}
			continue
		}
		var ims []chat.Image
		for _, ref := range m.images {
			im, err := s.encodeImage(ref.name, ref.data)
			if err != nil {
				return nil, err
			}
			ims = append(ims, im)
		}
		text := m.text
		if m.role == chat.User && len(system) > 0 {
			text = strings.Join(append(system, text), "\n\n")
			system = nil
		}
		if n := len(turns); n > 0 && turns[n-1].role == m.role {
			if text != "" {
				if turns[n-1].text != "" {
					turns[n-1].text += "\n"
				}
				turns[n-1].text += text
			}
			turns[n-1].images = append(turns[n-1].images, ims...)
			continue
		}
		turns = append(turns, reqTurn{role: m.role, text: text, images: ims})
	}
	if len(turns) == 0 || turns[len(turns)-1].role != chat.User {
		return nil, badRequest("messages", "messages: the last message must be the user's")
	}
	for i, t := range turns {
		if t.role == chat.User && strings.TrimSpace(t.text) == "" && len(t.images) == 0 {
			return nil, badRequest("messages", "messages: user turn %d is empty (no text and no image)", i+1)
		}
	}
	return turns, nil
}
