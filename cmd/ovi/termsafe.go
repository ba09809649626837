package main

import (
	"fmt"
	"reflect"
	"strings"
	"unicode/utf8"
)

// Terminal safety. Text shown in a table or a replay line came from the
// cloud (tags, names, ids: anyone with ec2:CreateTags writes them), from
// a note, or from a configuration file. Printed raw, an ANSI escape
// (ESC, or the 8-bit CSI U+009B) can move the cursor, rewrite earlier
// lines, retitle the window or hide text; a bidi override (U+202E) makes
// "i-0abc" read as something else; a NUL or carriage return truncates or
// overprints a line. termSafe shows every such character as visible text
// instead, and every human renderer passes what it shows through it —
// via terminalSafe, which applies it to every string of the data before
// the renderer reads it. JSON output is never escaped: it stays exact.

// termSafe returns s with each character that acts on a terminal written
// as a visible escape:
//
//   - C0 controls and DEL: \t \n \r, else \x00…\x1f and \x7f (ESC is \x1b);
//   - C1 controls U+0080–U+009F (U+009B is CSI): \u0080…\u009f;
//   - bidi controls (U+061C, U+200E, U+200F, U+202A–U+202E,
//     U+2066–U+2069) and the line and paragraph separators U+2028,
//     U+2029: \u202e and so on;
//   - a byte that is not UTF-8: \xff and so on.
//
// Everything else, backslashes included, is unchanged, so ordinary text
// costs nothing and termSafe(termSafe(s)) == termSafe(s).
func termSafe(s string) string {
	i := unsafeIndex(s)
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	b.WriteString(s[:i])
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case unsafeRune(r):
			b.WriteString(escapeRune(r))
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// unsafeIndex is the byte offset of the first character termSafe escapes,
// or -1.
func unsafeIndex(s string) int {
	for i, r := range s {
		if unsafeRune(r) || (r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD")) {
			return i
		}
	}
	return -1
}

// unsafeRune reports whether termSafe escapes r.
func unsafeRune(r rune) bool {
	switch {
	case r < 0x20 || r == 0x7f:
		return true
	case r >= 0x80 && r <= 0x9f:
		return true
	case r == 0x061c, r == 0x200e, r == 0x200f, r == 0x2028, r == 0x2029:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true
	}
	return false
}

// escapeRune is the visible form of an unsafe rune.
func escapeRune(r rune) string {
	switch r {
	case '\t':
		return `\t`
	case '\n':
		return `\n`
	case '\r':
		return `\r`
	}
	if r < 0x80 {
		return fmt.Sprintf(`\x%02x`, r)
	}
	return fmt.Sprintf(`\u%04x`, r)
}

// terminalSafe returns a copy of v in which every string — struct fields,
// slice, array and pointer elements, map keys and values, at any depth —
// has passed through termSafe. v itself is not modified. Renderers call it
// on their data at the start of their table branch, so a field added to a
// record later is escaped without anyone remembering to.
func terminalSafe[T any](v T) T {
	rv := reflect.ValueOf(&v).Elem()
	out, _ := safeValue(rv).Interface().(T)
	return out
}

// safeValue is terminalSafe on a reflect.Value; it returns v itself when
// nothing under it needs escaping a copy.
func safeValue(v reflect.Value) reflect.Value {
	switch v.Kind() {
	case reflect.String:
		if s := termSafe(v.String()); s != v.String() {
			out := reflect.New(v.Type()).Elem()
			out.SetString(s)
			return out
		}
	case reflect.Pointer:
		if !v.IsNil() {
			out := reflect.New(v.Type().Elem())
			out.Elem().Set(safeValue(v.Elem()))
			return out
		}
	case reflect.Interface:
		if !v.IsNil() {
			out := reflect.New(v.Type()).Elem()
			out.Set(safeValue(v.Elem()))
			return out
		}
	case reflect.Slice:
		if !v.IsNil() {
			return safeElems(reflect.MakeSlice(v.Type(), v.Len(), v.Len()), v)
		}
	case reflect.Array:
		return safeElems(reflect.New(v.Type()).Elem(), v)
	case reflect.Map:
		return safeMap(v)
	case reflect.Struct:
		return safeStruct(v)
	}
	return v
}

// safeElems fills out (a new slice or array as long as v) with v's
// elements made safe.
func safeElems(out, v reflect.Value) reflect.Value {
	for i := range v.Len() {
		out.Index(i).Set(safeValue(v.Index(i)))
	}
	return out
}

// safeMap copies a map with its keys and values made safe.
func safeMap(v reflect.Value) reflect.Value {
	if v.IsNil() {
		return v
	}
	out := reflect.MakeMapWithSize(v.Type(), v.Len())
	for it := v.MapRange(); it.Next(); {
		out.SetMapIndex(safeValue(it.Key()), safeValue(it.Value()))
	}
	return out
}

// safeStruct copies a struct with its exported fields made safe
// (unexported fields, such as time.Time's, are copied as they are).
func safeStruct(v reflect.Value) reflect.Value {
	out := reflect.New(v.Type()).Elem()
	out.Set(v)
	for i := range v.NumField() {
		if f := out.Field(i); f.CanSet() {
			f.Set(safeValue(v.Field(i)))
		}
	}
	return out
}
