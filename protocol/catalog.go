package protocol

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/cognitivo/radar-connectors/protocol/jsonx"
)

// ParseConfiguredCatalog parses and checks a configured catalog. Missing
// sync modes take the protocol defaults (full_refresh, append). A source
// checks sync_mode and ignores destination_sync_mode, as the protocol asks;
// a destination checks destination_sync_mode. Errors name the stream.
func ParseConfiguredCatalog(b []byte, forSource bool) (*ConfiguredCatalog, error) {
	if err := jsonx.Valid(b); err != nil {
		return nil, fmt.Errorf("not valid JSON: %w", err)
	}
	var cat ConfiguredCatalog
	if err := json.Unmarshal(b, &cat); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return nil, fmt.Errorf("field %s has the wrong type (%s)", te.Field, te.Value)
		}
		return nil, err
	}
	if cat.Streams == nil {
		return nil, errors.New(`"streams" is missing`)
	}
	seen := map[StreamDescriptor]bool{}
	for i := range cat.Streams {
		cs := &cat.Streams[i]
		d := cs.Descriptor()
		if d.Name == "" {
			return nil, fmt.Errorf("streams[%d]: stream.name is empty", i)
		}
		if seen[d] {
			return nil, fmt.Errorf("stream %s is configured twice", d)
		}
		seen[d] = true
		if cs.SyncMode == "" {
			cs.SyncMode = SyncModeFullRefresh
		}
		if cs.DestinationSyncMode == "" {
			cs.DestinationSyncMode = DestinationAppend
		}
		if forSource && !cs.SyncMode.Valid() {
			return nil, fmt.Errorf("stream %s: sync_mode %q is not one of full_refresh, incremental", d, cs.SyncMode)
		}
		if !forSource && !cs.DestinationSyncMode.Valid() {
			return nil, fmt.Errorf("stream %s: destination_sync_mode %q is not one of %s", d, cs.DestinationSyncMode,
				strings.Join([]string{"append", "overwrite", "append_dedup", "update", "soft_delete"}, ", "))
		}
	}
	return &cat, nil
}
