//! `GET /metrics`: Prometheus text exposition (the `prometheus` crate renders it).
//! Requests by dialect, action and code; latency histograms; denials; keys by state (read
//! at scrape time); the RSA wrapping-key pool; store errors; the nonce cache; requests in
//! flight. Only counts and names: no key ID, parameter or principal appears in a label.

use prometheus::{
    Encoder as _, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec,
    Opts, Registry, TextEncoder,
};

/// The registry and its metrics.
#[derive(Debug, Clone)]
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    denials: IntCounterVec,
    /// Requests being served now.
    pub in_flight: IntGauge,
    keys: IntGaugeVec,
    pool: IntGauge,
    store_errors: IntCounter,
    nonces: IntGauge,
}

/// Latency buckets, in seconds: 50 µs to 2.5 s.
const BUCKETS: [f64; 12] = [
    0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.05, 0.25, 1.0, 2.5,
];

impl Metrics {
    /// A fresh registry.
    ///
    /// # Errors
    /// A metric the registry refuses (a bug in the names).
    pub fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new(
                "qkms_requests_total",
                "Requests answered, by dialect, action and error code (empty for success).",
            ),
            &["dialect", "action", "code"],
        )?;
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "qkms_request_duration_seconds",
                "Time from request to answer.",
            )
            .buckets(BUCKETS.to_vec()),
            &["dialect", "action"],
        )?;
        let denials = IntCounterVec::new(
            Opts::new(
                "qkms_denials_total",
                "Requests the caller's policies did not allow.",
            ),
            &["dialect", "action"],
        )?;
        let in_flight = IntGauge::new("qkms_requests_in_flight", "Requests being served.")?;
        let keys = IntGaugeVec::new(
            Opts::new(
                "qkms_keys",
                "Keys of the default account and region, by state.",
            ),
            &["state"],
        )?;
        let pool = IntGauge::new(
            "qkms_rsa_pool_ready",
            "RSA wrapping keys ready in the pool.",
        )?;
        let store_errors =
            IntCounter::new("qkms_store_errors_total", "Store operations that failed.")?;
        let nonces = IntGauge::new("qkms_nonce_cache_entries", "Signature nonces remembered.")?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(latency.clone()))?;
        registry.register(Box::new(denials.clone()))?;
        registry.register(Box::new(in_flight.clone()))?;
        registry.register(Box::new(keys.clone()))?;
        registry.register(Box::new(pool.clone()))?;
        registry.register(Box::new(store_errors.clone()))?;
        registry.register(Box::new(nonces.clone()))?;
        Ok(Self {
            registry,
            requests,
            latency,
            denials,
            in_flight,
            keys,
            pool,
            store_errors,
            nonces,
        })
    }

    /// Counts one answered request.
    pub fn observe(&self, dialect: &str, action: &str, code: &str, seconds: f64) {
        self.requests
            .with_label_values(&[dialect, action, code])
            .inc();
        self.latency
            .with_label_values(&[dialect, action])
            .observe(seconds);
        if matches!(code, "Forbidden.RAM" | "AccessDeniedException") {
            self.denials.with_label_values(&[dialect, action]).inc();
        }
    }

    /// The exposition, with the gauges read now.
    #[must_use]
    pub fn render(&self, sample: &Sample) -> String {
        for (state, n) in &sample.keys {
            self.keys
                .with_label_values(&[state])
                .set(i64::try_from(*n).unwrap_or(i64::MAX));
        }
        self.pool
            .set(i64::try_from(sample.pool).unwrap_or(i64::MAX));
        self.nonces
            .set(i64::try_from(sample.nonces).unwrap_or(i64::MAX));
        let total = sample.store_errors;
        let seen = self.store_errors.get();
        if total > seen {
            self.store_errors.inc_by(total - seen);
        }
        let mut out = Vec::new();
        if TextEncoder::new()
            .encode(&self.registry.gather(), &mut out)
            .is_err()
        {
            return String::new();
        }
        String::from_utf8(out).unwrap_or_default()
    }
}

/// The values read at scrape time.
#[derive(Debug, Default)]
pub struct Sample {
    /// Keys by state name.
    pub keys: Vec<(&'static str, usize)>,
    /// RSA keys ready.
    pub pool: usize,
    /// Nonces remembered.
    pub nonces: usize,
    /// Store failures since start.
    pub store_errors: u64,
}
