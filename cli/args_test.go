package cli

import (
	"reflect"
	"testing"
)

func TestInterspersedFlags(t *testing.T) {
	app := NewApp()
	cases := [][2][]string{
		{{"chatumm", "generate", "a red circle", "-o", "x.png", "--seed", "3"}, {"chatumm", "generate", "-o", "x.png", "--seed", "3", "a red circle"}},
		{{"chatumm", "describe", "--image", "a.png", "what?", "--kv-f32", "more"}, {"chatumm", "describe", "--image", "a.png", "--kv-f32", "what?", "more"}},
		{{"chatumm", "edit", "make it blue", "--image=a.png", "-o", "b.png"}, {"chatumm", "edit", "--image=a.png", "-o", "b.png", "make it blue"}},
		{{"chatumm", "generate", "x", "--", "-o"}, {"chatumm", "generate", "x", "--", "-o"}},
		{{"chatumm", "vq", "encode", "--image", "a.png"}, {"chatumm", "vq", "encode", "--image", "a.png"}},
		{{"chatumm"}, {"chatumm"}},
		{{"chatumm", "nosuch", "a", "-b"}, {"chatumm", "nosuch", "a", "-b"}},
	}
	for _, c := range cases {
		if got := interspersed(app, c[0]); !reflect.DeepEqual(got, c[1]) {
			t.Errorf("%q → %q, want %q", c[0], got, c[1])
		}
	}
}
