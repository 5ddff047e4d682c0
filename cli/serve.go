package cli

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/chatumm/chatumm/cli/serve"
	"github.com/urfave/cli/v2"
)

func serveCommand() *cli.Command {
	return &cli.Command{
		Name:  "serve",
		Usage: "serve the model over HTTP: OpenAI and ollama APIs (text and images) and a web chat page",
		Flags: append(append(modelFlags(), samplingFlags()...),
			&cli.StringFlag{Name: "host", Value: "127.0.0.1", Usage: "address to listen on (anything but loopback needs --api-key or --insecure-no-auth)"},
			&cli.IntFlag{Name: "port", Value: 8080, Usage: "TCP port"},
			&cli.IntFlag{Name: "parallel", Value: 2, Usage: "requests generating at once"},
			&cli.StringFlag{Name: "batch", Value: "auto", Usage: "step the decoding slots together in one forward pass: on, off, or auto (when a step's weights exceed the CPU's last-level cache)"},
			&cli.IntFlag{Name: "cache", Usage: "conversations (KV caches) kept for prefix reuse (default: 4 × --parallel)"},
			&cli.IntFlag{Name: "queue", Value: 64, Usage: "requests that may wait for a slot before 429/503"},
			&cli.StringFlag{Name: "api-key", EnvVars: []string{"CHATUMM_API_KEY"}, Usage: "require Authorization: Bearer KEY on the API"},
			&cli.BoolFlag{Name: "insecure-no-auth", Usage: "allow a non-loopback address without --api-key"},
			&cli.DurationFlag{Name: "timeout", Value: 10 * time.Minute, Usage: "per-request deadline, queueing included"},
			&cli.Int64Flag{Name: "max-body", Value: 32 << 20, Usage: "largest request body in bytes"},
		),
		Action: runServe,
	}
}

func runServe(c *cli.Context) error {
	host := c.String("host")
	if !serve.IsLoopback(host) && c.String("api-key") == "" && !c.Bool("insecure-no-auth") {
		return fmt.Errorf("--host %s: listening beyond this machine needs --api-key KEY (or --insecure-no-auth)", host)
	}
	if p := c.Int("port"); p < 0 || p > 65535 {
		return fmt.Errorf("--port %d: want 0 to 65535", p)
	}
	if c.Int("parallel") < 1 || c.Int("parallel") > 256 {
		return fmt.Errorf("--parallel %d: want 1 to 256", c.Int("parallel"))
	}
	batch, err := serve.ParseBatchMode(c.String("batch"))
	if err != nil {
		return fmt.Errorf("--batch %s: want auto, on or off", printable(c.String("batch")))
	}
	gen, err := genOptions(c)
	if err != nil {
		return err
	}
	evict, err := evictPolicy(c)
	if err != nil {
		return err
	}
	m, err := openModel(c)
	if err != nil {
		return err
	}
	defer m.Close()
	cache := c.Int("cache")
	if cache <= 0 {
		cache = 4 * c.Int("parallel")
	}
	srv, err := serve.New(serve.Config{
		Model: m, Parallel: c.Int("parallel"), Cache: cache, Queue: c.Int("queue"),
		APIKey: c.String("api-key"), Gen: gen, Seed: c.Uint64("seed"), Evict: evict,
		MaxBody: c.Int64("max-body"), Timeout: c.Duration("timeout"), Batch: batch,
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(c.Int("port"))))
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stdout, "chatumm serve: %s on http://%s/ (OpenAI API at /v1, ollama API at /api)\n", srv.Name(), ln.Addr())
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	return srv.Serve(ctx, ln, 10*time.Second)
}
