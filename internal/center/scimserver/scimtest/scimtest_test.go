package scimtest

import (
	"net/http"
	"testing"
)

// The server answers SCIM with the token and refuses without it.
func TestStart(t *testing.T) {
	s := Start(t, nil)
	for token, want := range map[string]int{s.Token: 200, "wrong": 401} {
		req, _ := http.NewRequest("GET", s.URL+"/Users?count=1", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != want {
			t.Errorf("token %.8s…: %d, want %d", token, res.StatusCode, want)
		}
	}
}
