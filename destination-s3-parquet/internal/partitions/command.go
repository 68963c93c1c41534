package partitions

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/cognitivo/radar-connectors/destination-s3-parquet/internal/config"
	"github.com/cognitivo/radar-connectors/destination-s3-parquet/internal/objectkey"
	"github.com/cognitivo/radar-connectors/destination-s3-parquet/internal/s3sink"
	"github.com/cognitivo/radar-connectors/protocol"
	"github.com/cognitivo/radar-connectors/protocol/airbytecli"
)

// Command is the check-partitions subcommand:
//
//	destination-s3-parquet check-partitions --config destination.json \
//	    --streams store,product [--date 2026-11-25] [--namespace radar] [--min-rows 1] [--json]
//
// It exits 0 when every stream has Parquet files for the day (with rows and
// _SUCCESS markers), and 1 with a report naming what is missing otherwise.
func Command() *airbytecli.Command {
	return &airbytecli.Command{
		Name:  "check-partitions",
		Usage: "check that a day's partition of each stream exists in S3, with _SUCCESS markers and rows",
		Description: "Lists the objects of each stream's partition for the day under the config's bucket, path\n" +
			"and format, and reports the streams with no Parquet file, no rows or no _SUCCESS marker.\n" +
			"Exits 0 when every stream is complete and 1 otherwise; --json prints the report as JSON.",
		Plain: true,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "config", Usage: "the destination config JSON file", Required: true},
			&cli.StringFlag{Name: "streams", Usage: "comma-separated stream (table) names", Required: true},
			&cli.StringFlag{Name: "date", Usage: "the day to check, YYYY-MM-DD (UTC); default today"},
			&cli.StringFlag{Name: "namespace", Usage: "the streams' namespace, for path formats using ${NAMESPACE}"},
			&cli.Int64Flag{Name: "min-rows", Value: 1, Usage: "fewest rows a stream's partition may hold"},
			&cli.BoolFlag{Name: "no-success-marker", Usage: "do not require _SUCCESS markers"},
			&cli.BoolFlag{Name: "json", Usage: "print the report as JSON"},
		},
		Action: run,
	}
}

func run(ctx context.Context, env *airbytecli.Env, c *cli.Context) error {
	cfg, err := config.ReadFile(c.String("config"), env.Secrets)
	if err != nil {
		return err
	}
	day := time.Now().UTC()
	if d := c.String("date"); d != "" {
		if day, err = time.Parse("2006-01-02", d); err != nil {
			return protocol.ConfigError(nil, "--date %q is not a date like 2026-11-25", d)
		}
	}
	var streams []string
	for _, s := range strings.Split(c.String("streams"), ",") {
		if s = strings.TrimSpace(s); s != "" {
			streams = append(streams, s)
		}
	}
	if len(streams) == 0 {
		return protocol.ConfigError(nil, "--streams names no stream")
	}
	client, err := s3sink.NewClient(ctx, cfg, s3sink.Options{})
	if err != nil {
		return err
	}
	checker := &Checker{S3: client.S3, Bucket: cfg.BucketName, Template: &objectkey.Template{
		BucketPath: cfg.BucketPath, PathFormat: *cfg.PathFormat, FileNamePattern: cfg.FileNamePattern,
	}}
	reports, err := checker.Check(ctx, Request{Day: day, Namespace: c.String("namespace"), Streams: streams,
		MinRows: c.Int64("min-rows"), RequireSuccess: !c.Bool("no-success-marker")})
	if err != nil {
		return protocol.TransientError(err, "cannot read bucket %s: %v", cfg.BucketName, err)
	}
	if c.Bool("json") {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(map[string]any{"date": day.Format("2006-01-02"), "bucket": cfg.BucketName, "streams": reports}); err != nil {
			return err
		}
	} else {
		Render(env.Stdout, cfg.BucketName, day, reports)
	}
	var failed []string
	for _, r := range reports {
		if !r.OK() {
			failed = append(failed, r.Stream)
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("%d of %d streams failed the check for %s: %s", len(failed), len(reports), day.Format("2006-01-02"), strings.Join(failed, ", "))
	}
	return nil
}

// Render prints the report as a table, with the problems under it.
func Render(w io.Writer, bucket string, day time.Time, reports []StreamReport) {
	fmt.Fprintf(w, "Partitions of %s in s3://%s\n\n", day.Format("2006-01-02"), bucket)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STREAM\tSTATUS\tFILES\tROWS\tBYTES\tPARTITION")
	for _, r := range reports {
		status := "ok"
		if !r.OK() {
			status = "FAILED"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%s\n", r.Stream, status, len(r.Files), r.Rows, r.Bytes, r.Prefix)
	}
	tw.Flush()
	for _, r := range reports {
		for _, p := range r.Problems {
			fmt.Fprintf(w, "  %s: %s\n", r.Stream, p)
		}
	}
}
