package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/toffstech/customer-management/internal/domain"
)

// MaxBodyBytes is the largest request body accepted.
const MaxBodyBytes = 1 << 20

// readBody reads the request body within MaxBodyBytes. It answers 413 itself and returns false when
// the body is too large.
func readBody(c *gin.Context) ([]byte, bool) {
	if c.Request.Body == nil {
		return nil, true
	}
	b, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeProblem(c, Problem{Type: ProblemTooLarge, Title: "The request body is too large.", Status: http.StatusRequestEntityTooLarge,
				Detail: fmt.Sprintf("Request bodies are limited to %d bytes.", MaxBodyBytes)})
			return nil, false
		}
		badRequest(c, "The request body could not be read.")
		return nil, false
	}
	c.Request.Body = io.NopCloser(bytes.NewReader(b))
	return b, true
}

// decodeJSON strictly decodes the request body into v: the content type must be one of types, the
// body one JSON object with no unknown fields and nothing after it. It answers the problem itself
// and returns false on any failure.
func decodeJSON(c *gin.Context, v any, types ...string) bool {
	mt, _, err := mime.ParseMediaType(c.GetHeader("Content-Type"))
	ok := err == nil
	if ok {
		ok = false
		for _, t := range types {
			if strings.EqualFold(mt, t) {
				ok = true
			}
		}
	}
	if !ok {
		writeProblem(c, Problem{Type: ProblemUnsupportedMedia, Title: "Unsupported media type.", Status: http.StatusUnsupportedMediaType,
			Detail: "Send the body as " + strings.Join(types, " or ") + "."})
		return false
	}
	body, ok := readBody(c)
	if !ok {
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		explainDecodeError(c, err)
		return false
	}
	if dec.More() {
		badRequest(c, "The body must hold exactly one JSON object.")
		return false
	}
	if _, err := dec.Token(); err != io.EOF {
		badRequest(c, "The body must hold exactly one JSON object.")
		return false
	}
	return true
}

func explainDecodeError(c *gin.Context, err error) {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		badRequest(c, fmt.Sprintf("The body is not valid JSON (at byte %d).", syn.Offset))
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			badRequest(c, "The body must be a JSON object.")
			return
		}
		badRequest(c, "A field has the wrong type.", domain.FieldError{Field: field, Detail: "must be a " + jsonKind(typ.Type.Kind().String())})
	case errors.Is(err, io.EOF):
		badRequest(c, "The request body is empty.")
	case errors.Is(err, io.ErrUnexpectedEOF):
		badRequest(c, "The body is not valid JSON (it ends early).")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		badRequest(c, "The body has a field this endpoint does not accept.", domain.FieldError{Field: name, Detail: "is not a known field"})
	default:
		badRequest(c, "The body could not be decoded: "+err.Error())
	}
}

func jsonKind(k string) string {
	switch k {
	case "string":
		return "string"
	case "struct", "map":
		return "JSON object"
	case "slice", "array":
		return "JSON array"
	case "bool":
		return "boolean"
	default:
		return "number"
	}
}
