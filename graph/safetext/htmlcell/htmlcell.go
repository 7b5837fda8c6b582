// Package htmlcell is the browser rule for HTML breachpath renders on the
// server (the CIEM report). html/template escapes every string; on top of
// that, every string of the data is shown with its acting characters as
// escapes (Copy, safetext.VisibleText), so a right-to-left override in a
// name ("r-rtl-evil\u202egpj.exe") can neither disguise the name nor run on
// into the text after it, and every element that holds estate text is
// isolated (Style: unicode-bidi: isolate, the CSS form of <bdi>). The
// explorer applies the same rule in web/src/text.ts.
package htmlcell

import (
	"html/template"
	"reflect"
	"strings"

	"github.com/breachpath/breachpath/graph/safetext"
)

// Style is the CSS every HTML page with estate text includes: each inline
// run and cell is its own bidirectional island.
const Style = `span,a,code,pre,td,th,li,summary,h1,h2,h3,h4,p,b,small,bdi{unicode-bidi:isolate}`

// Isolate returns s as escaped HTML inside a <bdi> element, acting
// characters shown as escapes.
func Isolate(s string) template.HTML {
	var b strings.Builder
	b.WriteString("<bdi>")
	template.HTMLEscape(&b, []byte(safetext.Visible(s)))
	b.WriteString("</bdi>")
	return template.HTML(b.String()) // escaped just above
}

// Copy returns a deep copy of v in which every string reachable through
// exported fields, slices, arrays, maps, pointers and interfaces has passed
// through safetext.VisibleText. v itself is not changed (reports are cached
// and also served as JSON, which carries the data as it is). Unexported
// fields are copied as they are.
func Copy[T any](v T) T {
	in := reflect.ValueOf(&v).Elem()
	out := reflect.New(in.Type()).Elem()
	copyValue(out, in, map[uintptr]reflect.Value{})
	return out.Interface().(T)
}

func copyValue(dst, src reflect.Value, seen map[uintptr]reflect.Value) {
	switch src.Kind() {
	case reflect.String:
		dst.SetString(safetext.VisibleText(src.String()))
	case reflect.Pointer:
		if src.IsNil() {
			return
		}
		if p, ok := seen[src.Pointer()]; ok {
			dst.Set(p)
			return
		}
		p := reflect.New(src.Elem().Type())
		seen[src.Pointer()] = p
		copyValue(p.Elem(), src.Elem(), seen)
		dst.Set(p)
	case reflect.Struct:
		dst.Set(src) // unexported fields as they are
		for i := 0; i < src.NumField(); i++ {
			if dst.Field(i).CanSet() {
				copyValue(dst.Field(i), src.Field(i), seen)
			}
		}
	case reflect.Slice:
		if src.IsNil() {
			return
		}
		s := reflect.MakeSlice(src.Type(), src.Len(), src.Len())
		for i := 0; i < src.Len(); i++ {
			copyValue(s.Index(i), src.Index(i), seen)
		}
		dst.Set(s)
	case reflect.Array:
		for i := 0; i < src.Len(); i++ {
			copyValue(dst.Index(i), src.Index(i), seen)
		}
	case reflect.Map:
		if src.IsNil() {
			return
		}
		m := reflect.MakeMapWithSize(src.Type(), src.Len())
		it := src.MapRange()
		for it.Next() {
			k := reflect.New(src.Type().Key()).Elem()
			copyValue(k, it.Key(), seen)
			v := reflect.New(src.Type().Elem()).Elem()
			copyValue(v, it.Value(), seen)
			m.SetMapIndex(k, v)
		}
		dst.Set(m)
	case reflect.Interface:
		if src.IsNil() {
			return
		}
		e := reflect.New(src.Elem().Type()).Elem()
		copyValue(e, src.Elem(), seen)
		dst.Set(e)
	default:
		dst.Set(src)
	}
}
