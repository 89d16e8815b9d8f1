//! Countries from a MaxMind-format database (`--geoip GeoLite2-Country.mmdb`), looked up once per
//! session from the client address, which stays in memory only.

use std::net::IpAddr;
use std::path::Path;

use crate::error::{Error, Result};

pub struct GeoDb {
    reader: maxminddb::Reader<Vec<u8>>,
}

impl std::fmt::Debug for GeoDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("GeoDb")
    }
}

impl GeoDb {
    pub fn open(path: &Path) -> Result<Self> {
        let reader = maxminddb::Reader::open_readfile(path).map_err(|e| {
            Error::Config(format!(
                "cannot read the GeoIP database {}: {e} (a MaxMind .mmdb file is expected)",
                path.display()
            ))
        })?;
        Ok(Self { reader })
    }

    /// ISO 3166 code of the address's country; `None` for hostnames, private or unknown
    /// addresses.
    pub fn country(&self, address: &str) -> Option<String> {
        let ip: IpAddr = address
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse()
            .ok()?;
        let found = self.reader.lookup(ip).ok()?;
        let country: maxminddb::geoip2::Country = found.decode().ok()??;
        country.country.iso_code.map(str::to_owned)
    }
}
