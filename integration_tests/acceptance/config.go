// Package acceptance reimplements Airbyte's Connector Acceptance Tests
// (CAT) in Go, without Docker: it reads the same acceptance-test-config.yml
// and integration_tests/ files Airbyte's own tool reads, runs the connector
// binary as a process for each test, and checks what CAT checks (spec,
// connection, discovery, basic_read, full_refresh, incremental), validating
// every printed line against the protocol schema.
package acceptance

import (
	"fmt"
	"os"
	"path/filepath"

	"go.yaml.in/yaml/v3"
)

// Config is acceptance-test-config.yml.
type Config struct {
	ConnectorImage       string          `yaml:"connector_image"`
	TestStrictnessLevel  string          `yaml:"test_strictness_level"`
	BasePath             string          `yaml:"base_path"`
	CustomEnvironmentVar map[string]any  `yaml:"custom_environment_variables"`
	AcceptanceTests      AcceptanceTests `yaml:"acceptance_tests"`
}

// AcceptanceTests holds the suites.
type AcceptanceTests struct {
	Spec        Suite[SpecTest]        `yaml:"spec"`
	Connection  Suite[ConnectionTest]  `yaml:"connection"`
	Discovery   Suite[DiscoveryTest]   `yaml:"discovery"`
	BasicRead   Suite[BasicReadTest]   `yaml:"basic_read"`
	FullRefresh Suite[FullRefreshTest] `yaml:"full_refresh"`
	Incremental Suite[IncrementalTest] `yaml:"incremental"`
}

// Suite is either a list of tests or a bypass reason.
type Suite[T any] struct {
	Tests        []T    `yaml:"tests"`
	BypassReason string `yaml:"bypass_reason"`
}

// Common holds the keys every test block accepts.
type Common struct {
	ConfigPath     string `yaml:"config_path"`
	TimeoutSeconds int    `yaml:"timeout_seconds"`
	DeploymentMode string `yaml:"deployment_mode"`
}

// SpecTest configures the spec suite.
type SpecTest struct {
	Common                         `yaml:",inline"`
	SpecPath                       string `yaml:"spec_path"`
	BackwardCompatibilityTestsConf struct {
		PreviousConnectorVersion string `yaml:"previous_connector_version"`
		DisableForVersion        string `yaml:"disable_for_version"`
	} `yaml:"backward_compatibility_tests_config"`
}

// ConnectionTest configures one check run.
type ConnectionTest struct {
	Common `yaml:",inline"`
	Status string `yaml:"status"` // succeed | failed | exception
}

// DiscoveryTest configures the discovery suite.
type DiscoveryTest struct {
	Common                       `yaml:",inline"`
	ValidatePrimaryKeysDataType  *bool `yaml:"validate_primary_keys_data_type"`
	BackwardCompatibilityTestsCf any   `yaml:"backward_compatibility_tests_config"`
}

// EmptyStream names a stream allowed to have no records.
type EmptyStream struct {
	Name         string `yaml:"name"`
	BypassReason string `yaml:"bypass_reason"`
}

// ExpectRecords points at the expected records file.
type ExpectRecords struct {
	Path         string `yaml:"path"`
	BypassReason string `yaml:"bypass_reason"`
	ExactOrder   bool   `yaml:"exact_order"`
}

// BasicReadTest configures the basic_read suite.
type BasicReadTest struct {
	Common                      `yaml:",inline"`
	ConfiguredCatalogPath       string         `yaml:"configured_catalog_path"`
	EmptyStreams                []EmptyStream  `yaml:"empty_streams"`
	ExpectRecords               *ExpectRecords `yaml:"expect_records"`
	ValidateSchema              *bool          `yaml:"validate_schema"`
	FailOnExtraColumns          *bool          `yaml:"fail_on_extra_columns"`
	ValidateStateMessages       *bool          `yaml:"validate_state_messages"`
	ValidateStreamStatuses      *bool          `yaml:"validate_stream_statuses"`
	ValidateDataPoints          bool           `yaml:"validate_data_points"`
	ExpectTraceMessageOnFailure *bool          `yaml:"expect_trace_message_on_failure"`
	IgnoredFields               map[string]any `yaml:"ignored_fields"`
	FileTypes                   any            `yaml:"file_types"`
}

// FullRefreshTest configures the full_refresh suite.
type FullRefreshTest struct {
	Common                `yaml:",inline"`
	ConfiguredCatalogPath string         `yaml:"configured_catalog_path"`
	IgnoredFields         map[string]any `yaml:"ignored_fields"`
}

// FutureState points at the abnormal state file.
type FutureState struct {
	FutureStatePath string `yaml:"future_state_path"`
	MissingStreams  []struct {
		Name         string `yaml:"name"`
		BypassReason string `yaml:"bypass_reason"`
	} `yaml:"missing_streams"`
	BypassReason string `yaml:"bypass_reason"`
}

// IncrementalTest configures the incremental suite.
type IncrementalTest struct {
	Common                            `yaml:",inline"`
	ConfiguredCatalogPath             string       `yaml:"configured_catalog_path"`
	FutureState                       *FutureState `yaml:"future_state"`
	SkipComprehensiveIncrementalTests bool         `yaml:"skip_comprehensive_incremental_tests"`
}

// LoadConfig reads a connector's acceptance-test-config.yml.
func LoadConfig(connectorDir string) (*Config, error) {
	p := filepath.Join(connectorDir, "acceptance-test-config.yml")
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", p, err)
	}
	var c Config
	dec := yaml.NewDecoder(bytesReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("parse %s: %w", p, err)
	}
	return &c, nil
}

func boolOr(p *bool, def bool) bool {
	if p == nil {
		return def
	}
	return *p
}
