package main

import (
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
)

// Environment variables.
const (
	envNATSURL      = "NATS_URL"
	envNATSReplicas = "NATS_REPLICAS"
	envDatabaseURL  = "DATABASE_URL"
	envMetricsAddr  = "METRICS_ADDR"
	envLogLevel     = "LOG_LEVEL"
)

// Defaults.
const (
	defaultNATSURL     = "nats://127.0.0.1:4250"
	defaultDatabaseURL = "postgres://postgres@127.0.0.1:5432/customer_management?sslmode=disable"
	defaultMetricsAddr = "127.0.0.1:9101"
	// metricsOff as METRICS_ADDR disables the metrics server.
	metricsOff = "off"
)

// config is the projector's configuration.
type config struct {
	natsURL     string
	replicas    int
	databaseURL string
	// metricsAddr is "" when the metrics server is off.
	metricsAddr string
	logLevel    slog.Level
}

// loadConfig reads the configuration and reports every invalid variable at once.
func loadConfig(getenv func(string) string) (config, error) {
	c := config{
		natsURL:     or(getenv(envNATSURL), defaultNATSURL),
		databaseURL: or(getenv(envDatabaseURL), defaultDatabaseURL),
		metricsAddr: or(getenv(envMetricsAddr), defaultMetricsAddr),
		replicas:    1,
	}
	var errs []error
	if c.metricsAddr == metricsOff {
		c.metricsAddr = ""
	}
	if v := getenv(envNATSReplicas); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 5 {
			errs = append(errs, fmt.Errorf("%s must be a number from 1 to 5, got %q", envNATSReplicas, v))
		}
		c.replicas = n
	}
	if v := getenv(envLogLevel); v != "" {
		if err := c.logLevel.UnmarshalText([]byte(strings.ToUpper(v))); err != nil {
			errs = append(errs, fmt.Errorf("%s must be debug, info, warn or error, got %q", envLogLevel, v))
		}
	}
	return c, errors.Join(errs...)
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
