package secret

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestToken(t *testing.T) {
	tok := NewToken()
	id, sec, ok := SplitToken(tok.Bearer)
	if !ok || id != tok.ID || strings.Contains(tok.Hash, sec) {
		t.Fatalf("split %q: %q %q %v", tok.Bearer, id, sec, ok)
	}
	if !CheckToken(sec, tok.Hash) || CheckToken(sec+"x", tok.Hash) || CheckToken("", tok.Hash) {
		t.Fatal("CheckToken accepts the wrong secret or refuses the right one")
	}
	if NewToken().Bearer == tok.Bearer {
		t.Fatal("two tokens alike")
	}
	for _, bad := range []string{"", ".", "abc", ".x", "x."} {
		if _, _, ok := SplitToken(bad); ok {
			t.Errorf("SplitToken(%q) ok", bad)
		}
	}
}

func TestBox(t *testing.T) {
	path := filepath.Join(t.TempDir(), "key")
	b, err := LoadOrCreateKey(path)
	if err != nil {
		t.Fatal(err)
	}
	sealed := b.Seal("s3cret", "job-1")
	if strings.Contains(sealed, "s3cret") {
		t.Fatal("plaintext visible")
	}
	again, err := LoadOrCreateKey(path) // the same key, read back
	if err != nil {
		t.Fatal(err)
	}
	if pt, err := again.Open(sealed, "job-1"); err != nil || pt != "s3cret" {
		t.Fatalf("open: %q %v", pt, err)
	}
	if _, err := again.Open(sealed, "job-2"); err == nil {
		t.Fatal("opened under another context")
	}
	other, _ := LoadOrCreateKey(filepath.Join(t.TempDir(), "key"))
	if _, err := other.Open(sealed, "job-1"); err == nil {
		t.Fatal("opened with another key")
	}
	tampered := sealed[:len(sealed)-2] + "AA"
	if _, err := b.Open(tampered, "job-1"); err == nil {
		t.Fatal("opened a tampered ciphertext")
	}
}
