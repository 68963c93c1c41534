// Package protocol implements the Airbyte protocol (v0.18.0) for Go
// connectors: the message types with their exact wire names, a Writer that
// owns stdout, a Reader for stdin, typed errors that map to TRACE failure
// types, secret redaction, and a slog handler that emits LOG messages.
//
// The command frame (spec, check, discover, read, write) lives in the
// airbytecli sub-package; config validation against a connector's spec in
// connspec; schema validation of printed lines for tests in protocoltest.
package protocol

import (
	"encoding/json"
)

// Type is the AirbyteMessage type.
type Type string

// Message types.
const (
	TypeRecord             Type = "RECORD"
	TypeState              Type = "STATE"
	TypeLog                Type = "LOG"
	TypeSpec               Type = "SPEC"
	TypeConnectionStatus   Type = "CONNECTION_STATUS"
	TypeCatalog            Type = "CATALOG"
	TypeTrace              Type = "TRACE"
	TypeControl            Type = "CONTROL"
	TypeDestinationCatalog Type = "DESTINATION_CATALOG"
)

// Message is the AirbyteMessage envelope: a type and one payload.
type Message struct {
	Type               Type                    `json:"type"`
	Log                *LogMessage             `json:"log,omitempty"`
	Spec               *ConnectorSpecification `json:"spec,omitempty"`
	ConnectionStatus   *ConnectionStatus       `json:"connectionStatus,omitempty"`
	Catalog            *Catalog                `json:"catalog,omitempty"`
	Record             *RecordMessage          `json:"record,omitempty"`
	State              *StateMessage           `json:"state,omitempty"`
	Trace              *TraceMessage           `json:"trace,omitempty"`
	Control            *ControlMessage         `json:"control,omitempty"`
	DestinationCatalog json.RawMessage         `json:"destination_catalog,omitempty"`
}

// RecordMessage is one row of a stream. Data is kept as raw JSON so that
// sources can encode it by hand and destinations can decode it lazily.
type RecordMessage struct {
	Namespace     string          `json:"namespace,omitempty"`
	Stream        string          `json:"stream"`
	Data          json.RawMessage `json:"data"`
	EmittedAt     int64           `json:"emitted_at"`
	Meta          *RecordMeta     `json:"meta,omitempty"`
	FileReference json.RawMessage `json:"file_reference,omitempty"`
}

// RecordMeta carries the changes a connector made to a record's values.
type RecordMeta struct {
	Changes []MetaChange `json:"changes"`
}

// MetaChange records that one field was nulled or truncated, and why.
type MetaChange struct {
	Field  string       `json:"field"`
	Change ChangeType   `json:"change"`
	Reason ChangeReason `json:"reason"`
}

// ChangeType is what happened to a field's value.
type ChangeType string

// Change types.
const (
	ChangeNulled    ChangeType = "NULLED"
	ChangeTruncated ChangeType = "TRUNCATED"
)

// ChangeReason says why a field's value was changed.
type ChangeReason string

// Change reasons (the protocol's AirbyteRecordMessageMetaChange.reason enum).
const (
	ReasonSourceRecordSizeLimitation      ChangeReason = "SOURCE_RECORD_SIZE_LIMITATION"
	ReasonDestinationRecordSizeLimitation ChangeReason = "DESTINATION_RECORD_SIZE_LIMITATION"
	ReasonPlatformRecordSizeLimitation    ChangeReason = "PLATFORM_RECORD_SIZE_LIMITATION"
	ReasonSourceFieldSizeLimitation       ChangeReason = "SOURCE_FIELD_SIZE_LIMITATION"
	ReasonDestinationFieldSizeLimitation  ChangeReason = "DESTINATION_FIELD_SIZE_LIMITATION"
	ReasonPlatformFieldSizeLimitation     ChangeReason = "PLATFORM_FIELD_SIZE_LIMITATION"
	ReasonSourceSerializationError        ChangeReason = "SOURCE_SERIALIZATION_ERROR"
	ReasonDestinationSerializationError   ChangeReason = "DESTINATION_SERIALIZATION_ERROR"
	ReasonPlatformSerializationError      ChangeReason = "PLATFORM_SERIALIZATION_ERROR"
	ReasonSourceRetrievalError            ChangeReason = "SOURCE_RETRIEVAL_ERROR"
	ReasonDestinationTypecastError        ChangeReason = "DESTINATION_TYPECAST_ERROR"
)

// StateType is the kind of a STATE message.
type StateType string

// State types. LEGACY is accepted on input only.
const (
	StateGlobal StateType = "GLOBAL"
	StateStream StateType = "STREAM"
	StateLegacy StateType = "LEGACY"
)

// StateMessage is a checkpoint. The stream_state and shared_state blobs are
// opaque to everything but the source that wrote them.
type StateMessage struct {
	Type             StateType       `json:"type,omitempty"`
	Stream           *StreamState    `json:"stream,omitempty"`
	Global           *GlobalState    `json:"global,omitempty"`
	Data             json.RawMessage `json:"data,omitempty"`
	SourceStats      *StateStats     `json:"sourceStats,omitempty"`
	DestinationStats *StateStats     `json:"destinationStats,omitempty"`
	// ID and PartitionID are set in socket mode (package datachannel): ID
	// numbers the states of a stream 1, 2, 3… and PartitionID names the
	// records the state checkpoints.
	ID          *int64 `json:"id,omitempty"`
	PartitionID string `json:"partition_id,omitempty"`
}

// StreamState is the state of one stream. A JSON null StreamState blob
// means "reset this stream".
type StreamState struct {
	StreamDescriptor StreamDescriptor `json:"stream_descriptor"`
	StreamState      json.RawMessage  `json:"stream_state,omitempty"`
}

// GlobalState is a state shared by all streams (a binlog position) plus
// per-stream states.
type GlobalState struct {
	SharedState  json.RawMessage `json:"shared_state,omitempty"`
	StreamStates []StreamState   `json:"stream_states"`
}

// StreamDescriptor names a stream.
type StreamDescriptor struct {
	Name      string `json:"name"`
	Namespace string `json:"namespace,omitempty"`
}

// String renders the descriptor as namespace.name (or name).
func (d StreamDescriptor) String() string {
	if d.Namespace == "" {
		return d.Name
	}
	return d.Namespace + "." + d.Name
}

// StateStats counts the records a state covers. Counts are written with a
// decimal point ("100.0") as the protocol asks.
type StateStats struct {
	RecordCount         *Count `json:"recordCount,omitempty"`
	RejectedRecordCount *Count `json:"rejectedRecordCount,omitempty"`
}

// NewStateStats returns stats with the given record count.
func NewStateStats(records int64) *StateStats {
	c := Count(records)
	return &StateStats{RecordCount: &c}
}

// LogLevel is the level of a LOG message.
type LogLevel string

// Log levels.
const (
	LogFatal LogLevel = "FATAL"
	LogError LogLevel = "ERROR"
	LogWarn  LogLevel = "WARN"
	LogInfo  LogLevel = "INFO"
	LogDebug LogLevel = "DEBUG"
	LogTrace LogLevel = "TRACE"
)

// LogMessage is a log line for the platform's job log.
type LogMessage struct {
	Level      LogLevel `json:"level"`
	Message    string   `json:"message"`
	StackTrace string   `json:"stack_trace,omitempty"`
}

// ConnectorSpecification is the SPEC payload.
type ConnectorSpecification struct {
	DocumentationURL              string                `json:"documentationUrl,omitempty"`
	ChangelogURL                  string                `json:"changelogUrl,omitempty"`
	ConnectionSpecification       json.RawMessage       `json:"connectionSpecification"`
	SupportsIncremental           *bool                 `json:"supportsIncremental,omitempty"`
	SupportsNormalization         *bool                 `json:"supportsNormalization,omitempty"`
	SupportsDBT                   *bool                 `json:"supportsDBT,omitempty"`
	SupportedDestinationSyncModes []DestinationSyncMode `json:"supported_destination_sync_modes,omitempty"`
	ProtocolVersion               string                `json:"protocol_version,omitempty"`
	AdvancedAuth                  json.RawMessage       `json:"advanced_auth,omitempty"`
}

// ConnectionStatusValue is SUCCEEDED or FAILED.
type ConnectionStatusValue string

// Connection status values.
const (
	StatusSucceeded ConnectionStatusValue = "SUCCEEDED"
	StatusFailed    ConnectionStatusValue = "FAILED"
)

// ConnectionStatus is the CONNECTION_STATUS payload, the answer to check.
type ConnectionStatus struct {
	Status  ConnectionStatusValue `json:"status"`
	Message string                `json:"message,omitempty"`
}

// SyncMode is how a source reads a stream.
type SyncMode string

// Source sync modes.
const (
	SyncModeFullRefresh SyncMode = "full_refresh"
	SyncModeIncremental SyncMode = "incremental"
)

// Valid reports whether m is a known sync mode.
func (m SyncMode) Valid() bool { return m == SyncModeFullRefresh || m == SyncModeIncremental }

// DestinationSyncMode is how a destination writes a stream.
type DestinationSyncMode string

// Destination sync modes.
const (
	DestinationAppend      DestinationSyncMode = "append"
	DestinationOverwrite   DestinationSyncMode = "overwrite"
	DestinationAppendDedup DestinationSyncMode = "append_dedup"
	DestinationUpdate      DestinationSyncMode = "update"
	DestinationSoftDelete  DestinationSyncMode = "soft_delete"
)

// Valid reports whether m is a destination sync mode of the protocol.
func (m DestinationSyncMode) Valid() bool {
	switch m {
	case DestinationAppend, DestinationOverwrite, DestinationAppendDedup, DestinationUpdate, DestinationSoftDelete:
		return true
	}
	return false
}

// Catalog is the CATALOG payload: the streams a source offers.
type Catalog struct {
	Streams []Stream `json:"streams"`
}

// Stream is an AirbyteStream. JSONSchema is the JSON schema of the record data.
type Stream struct {
	Name                    string          `json:"name"`
	JSONSchema              json.RawMessage `json:"json_schema"`
	SupportedSyncModes      []SyncMode      `json:"supported_sync_modes"`
	SourceDefinedCursor     bool            `json:"source_defined_cursor,omitempty"`
	DefaultCursorField      []string        `json:"default_cursor_field,omitempty"`
	SourceDefinedPrimaryKey [][]string      `json:"source_defined_primary_key,omitempty"`
	Namespace               string          `json:"namespace,omitempty"`
	IsResumable             bool            `json:"is_resumable,omitempty"`
	IsFileBased             bool            `json:"is_file_based,omitempty"`
}

// Descriptor returns the stream's descriptor.
func (s *Stream) Descriptor() StreamDescriptor {
	return StreamDescriptor{Name: s.Name, Namespace: s.Namespace}
}

// SupportsSyncMode reports whether the stream lists m.
func (s *Stream) SupportsSyncMode(m SyncMode) bool {
	for _, x := range s.SupportedSyncModes {
		if x == m {
			return true
		}
	}
	return false
}

// ConfiguredCatalog is the --catalog file of read and write.
type ConfiguredCatalog struct {
	Streams []ConfiguredStream `json:"streams"`
}

// ConfiguredStream is one stream as the user configured it.
type ConfiguredStream struct {
	Stream              Stream              `json:"stream"`
	SyncMode            SyncMode            `json:"sync_mode"`
	DestinationSyncMode DestinationSyncMode `json:"destination_sync_mode"`
	CursorField         []string            `json:"cursor_field,omitempty"`
	PrimaryKey          [][]string          `json:"primary_key,omitempty"`
	GenerationID        *int64              `json:"generation_id,omitempty"`
	MinimumGenerationID *int64              `json:"minimum_generation_id,omitempty"`
	SyncID              *int64              `json:"sync_id,omitempty"`
}

// Descriptor returns the configured stream's descriptor.
func (c *ConfiguredStream) Descriptor() StreamDescriptor { return c.Stream.Descriptor() }

// TraceType is the kind of a TRACE message.
type TraceType string

// Trace types.
const (
	TraceError        TraceType = "ERROR"
	TraceEstimate     TraceType = "ESTIMATE"
	TraceStreamStatus TraceType = "STREAM_STATUS"
	TraceAnalytics    TraceType = "ANALYTICS"
)

// TraceMessage is the TRACE payload. EmittedAt is milliseconds since the
// epoch, written as a JSON number with a decimal point.
type TraceMessage struct {
	Type         TraceType          `json:"type"`
	EmittedAt    Millis             `json:"emitted_at"`
	Error        *ErrorTrace        `json:"error,omitempty"`
	Estimate     *EstimateTrace     `json:"estimate,omitempty"`
	StreamStatus *StreamStatusTrace `json:"stream_status,omitempty"`
	Analytics    *AnalyticsTrace    `json:"analytics,omitempty"`
}

// FailureType classifies an error for the platform.
type FailureType string

// Failure types. A config_error is not retried by the platform.
const (
	FailureSystem    FailureType = "system_error"
	FailureConfig    FailureType = "config_error"
	FailureTransient FailureType = "transient_error"
)

// ErrorTrace is a TRACE ERROR payload.
type ErrorTrace struct {
	Message          string            `json:"message"`
	InternalMessage  string            `json:"internal_message,omitempty"`
	StackTrace       string            `json:"stack_trace,omitempty"`
	FailureType      FailureType       `json:"failure_type,omitempty"`
	StreamDescriptor *StreamDescriptor `json:"stream_descriptor,omitempty"`
}

// EstimateType is STREAM or SYNC.
type EstimateType string

// Estimate types.
const (
	EstimateStream EstimateType = "STREAM"
	EstimateSync   EstimateType = "SYNC"
)

// EstimateTrace is a TRACE ESTIMATE payload.
type EstimateTrace struct {
	Name         string       `json:"name"`
	Type         EstimateType `json:"type"`
	Namespace    string       `json:"namespace,omitempty"`
	RowEstimate  *int64       `json:"row_estimate,omitempty"`
	ByteEstimate *int64       `json:"byte_estimate,omitempty"`
}

// StreamStatus is the lifecycle status of a stream.
type StreamStatus string

// Stream statuses.
const (
	StreamStarted    StreamStatus = "STARTED"
	StreamRunning    StreamStatus = "RUNNING"
	StreamComplete   StreamStatus = "COMPLETE"
	StreamIncomplete StreamStatus = "INCOMPLETE"
)

// StreamStatusTrace is a TRACE STREAM_STATUS payload.
type StreamStatusTrace struct {
	StreamDescriptor StreamDescriptor     `json:"stream_descriptor"`
	Status           StreamStatus         `json:"status"`
	Reasons          []StreamStatusReason `json:"reasons,omitempty"`
}

// StreamStatusReason explains a status (only RATE_LIMITED exists).
type StreamStatusReason struct {
	Type        string          `json:"type"`
	RateLimited json.RawMessage `json:"rate_limited,omitempty"`
}

// AnalyticsTrace is a TRACE ANALYTICS payload.
type AnalyticsTrace struct {
	Type  string `json:"type"`
	Value string `json:"value,omitempty"`
}

// ControlMessage is the CONTROL payload (only CONNECTOR_CONFIG exists).
type ControlMessage struct {
	Type            string                `json:"type"`
	EmittedAt       Millis                `json:"emitted_at"`
	ConnectorConfig *ConnectorConfigValue `json:"connectorConfig,omitempty"`
}

// ConnectorConfigValue carries a full replacement config.
type ConnectorConfigValue struct {
	Config json.RawMessage `json:"config"`
}
