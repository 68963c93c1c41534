package protocoltest

import "testing"

func TestResetStateIsValid(t *testing.T) {
	v := Default()
	ok := []string{
		`{"type":"STATE","state":{"type":"STREAM","stream":{"stream_descriptor":{"name":"users"},"stream_state":null},"id":5}}`,
		`{"type":"STATE","state":{"type":"GLOBAL","global":{"shared_state":{},"stream_states":[{"stream_descriptor":{"name":"users"},"stream_state":null}]}}}`,
	}
	for _, l := range ok {
		if _, err := v.ValidateLine([]byte(l)); err != nil {
			t.Errorf("%s: %v", l, err)
		}
	}
	bad := `{"type":"STATE","state":{"type":"STREAM","stream":{"stream_descriptor":{"name":"users"},"stream_state":"x"}}}`
	if _, err := v.ValidateLine([]byte(bad)); err == nil {
		t.Errorf("%s: accepted", bad)
	}
}
