package athena

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/cognitivo/radar-connectors/destination-s3-parquet/internal/config"
	"github.com/cognitivo/radar-connectors/destination-s3-parquet/internal/destination"
	"github.com/cognitivo/radar-connectors/destination-s3-parquet/internal/objectkey"
	"github.com/cognitivo/radar-connectors/protocol"
	"github.com/cognitivo/radar-connectors/protocol/airbytecli"
)

// DefaultSince is the first day partition projection covers unless --since
// says otherwise.
const DefaultSince = "2020-01-01"

// Command is the athena-ddl subcommand:
//
//	destination-s3-parquet athena-ddl --config destination.json --catalog catalog.json \
//	    [--database bronze_radar] [--streams store,transacoes] [--since 2020-01-01] [--json]
//
// It prints, for every stream of the configured catalog, the CREATE
// EXTERNAL TABLE statement Athena needs (and for append_dedup streams the
// CREATE VIEW of its _latest view). It reads no data: the statements
// follow from the config and the catalog, as the object keys and the
// Parquet columns of a sync do.
func Command() *airbytecli.Command {
	return &airbytecli.Command{
		Name:  "athena-ddl",
		Usage: "print the Athena CREATE EXTERNAL TABLE (partition projection) and dedup view statements of each stream",
		Description: "Prints, for every stream of the configured catalog, the CREATE EXTERNAL TABLE statement Athena\n" +
			"needs (columns from the same schema the writer uses, the date partition declared with partition\n" +
			"projection, so neither a Glue crawler nor MSCK REPAIR is needed) and, for append_dedup streams,\n" +
			"a <stream>_latest view with the newest row of each primary key. It reads no data.",
		Plain: true,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "config", Usage: "the destination config JSON file", Required: true},
			&cli.StringFlag{Name: "catalog", Usage: "the configured catalog JSON file the sync uses", Required: true},
			&cli.StringFlag{Name: "database", Usage: "the Athena database (Glue database) to qualify table names with"},
			&cli.StringFlag{Name: "streams", Usage: "comma-separated stream names; default every stream of the catalog"},
			&cli.StringFlag{Name: "since", Value: DefaultSince, Usage: "first day (YYYY-MM-DD) partition projection covers"},
			&cli.BoolFlag{Name: "json", Usage: "print a JSON array of {stream, table, create_table, view, create_view}"},
		},
		Action: run,
	}
}

func run(ctx context.Context, env *airbytecli.Env, c *cli.Context) error {
	cfg, err := config.ReadFile(c.String("config"), env.Secrets)
	if err != nil {
		return err
	}
	b, err := os.ReadFile(c.String("catalog"))
	if err != nil {
		return protocol.ConfigError(err, "cannot read the catalog file %s", c.String("catalog"))
	}
	cat, err := protocol.ParseConfiguredCatalog(b, false)
	if err != nil {
		return protocol.ConfigError(err, "the catalog file %s is not a configured catalog: %v", c.String("catalog"), err)
	}
	since, err := time.Parse("2006-01-02", c.String("since"))
	if err != nil {
		return protocol.ConfigError(nil, "--since %q is not a date like 2020-01-01", c.String("since"))
	}
	o := Options{
		Bucket:   cfg.BucketName,
		Template: &objectkey.Template{BucketPath: cfg.ObjectPrefix(), PathFormat: *cfg.PathFormat, FileNamePattern: cfg.FileNamePattern},
		Database: c.String("database"),
		Since:    since,
	}
	out, err := Generate(cfg, cat, selected(c.String("streams")), o)
	if err != nil {
		return err
	}
	if c.Bool("json") {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	Render(env.Stdout, out)
	return nil
}

func selected(list string) map[string]bool {
	if strings.TrimSpace(list) == "" {
		return nil
	}
	m := map[string]bool{}
	for _, s := range strings.Split(list, ",") {
		if s = strings.TrimSpace(s); s != "" {
			m[s] = true
		}
	}
	return m
}

// Generate returns the statements of the catalog's streams (only those
// named in streams, when it is not nil), each from the schema the writer
// resolves for it under cfg.
func Generate(cfg *config.Config, cat *protocol.ConfiguredCatalog, streams map[string]bool, o Options) ([]*Statements, error) {
	var out []*Statements
	tables := map[string]string{}
	for i := range cat.Streams {
		cs := &cat.Streams[i]
		d := cs.Descriptor()
		if streams != nil && !streams[d.Name] {
			continue
		}
		if err := destination.CheckSyncMode(cs); err != nil {
			return nil, protocol.WithStream(err, d)
		}
		s, err := destination.Schema(cfg, cs)
		if err != nil {
			return nil, protocol.WithStream(err, d)
		}
		st, err := Stream(cs, s, o)
		if err != nil {
			return nil, protocol.ConfigError(err, "no Athena table for stream %s: %v", d, err)
		}
		if other, ok := tables[st.Table]; ok {
			return nil, protocol.ConfigError(nil, "streams %s and %s would both be Athena table %s; generate them separately (--streams) into different databases", other, d, st.Table)
		}
		tables[st.Table] = d.String()
		out = append(out, st)
		delete(streams, d.Name)
	}
	for name := range streams {
		return nil, protocol.ConfigError(nil, "--streams names %s, which is not in the catalog", name)
	}
	return out, nil
}

// Render prints the statements, each ended by ; and a blank line, with a
// comment naming the stream. Athena runs one statement per query.
func Render(w io.Writer, sts []*Statements) {
	for _, st := range sts {
		fmt.Fprintf(w, "-- stream %s: table %s\n%s;\n\n", st.Stream, st.Table, st.CreateTable)
		if st.CreateView != "" {
			fmt.Fprintf(w, "-- stream %s (append_dedup): view %s, the newest version of each primary key\n%s;\n\n", st.Stream, st.View, st.CreateView)
		}
	}
}
