//! A minimal MaxMind DB writer for tests: an IPv4 country database from a few prefixes, written
//! to the published format (https://maxmind.github.io/MaxMind-DB/): a 24-bit search tree, the
//! data section, the metadata map. No real GeoIP data is shipped.

fn control(out: &mut Vec<u8>, kind: u8, size: usize) {
    assert!(size < 29);
    if kind <= 7 {
        out.push(kind << 5 | size as u8);
    } else {
        out.push(size as u8);
        out.push(kind - 7);
    }
}

fn string(out: &mut Vec<u8>, s: &str) {
    control(out, 2, s.len());
    out.extend_from_slice(s.as_bytes());
}

fn uint(out: &mut Vec<u8>, kind: u8, v: u64) {
    let bytes: Vec<u8> = v
        .to_be_bytes()
        .iter()
        .copied()
        .skip_while(|&b| b == 0)
        .collect();
    control(out, kind, bytes.len());
    out.extend_from_slice(&bytes);
}

fn country(iso: &str) -> Vec<u8> {
    let mut out = Vec::new();
    control(&mut out, 7, 1);
    string(&mut out, "country");
    control(&mut out, 7, 1);
    string(&mut out, "iso_code");
    string(&mut out, iso);
    out
}

const EMPTY: u32 = u32::MAX;

/// Writes a database mapping each `(a.b.c.d, prefix length, ISO code)` to its country.
pub fn write_country_db(path: &std::path::Path, prefixes: &[([u8; 4], u32, &str)]) {
    enum Rec {
        Empty,
        Node(u32),
        Data(u32),
    }
    let mut nodes: Vec<[Rec; 2]> = vec![[Rec::Empty, Rec::Empty]];
    let mut data = Vec::new();
    for (addr, len, iso) in prefixes {
        let offset = data.len() as u32;
        data.extend(country(iso));
        let bits = u32::from_be_bytes(*addr);
        let mut node = 0usize;
        for i in 0..*len {
            let bit = ((bits >> (31 - i)) & 1) as usize;
            if i == len - 1 {
                nodes[node][bit] = Rec::Data(offset);
            } else {
                node = match nodes[node][bit] {
                    Rec::Node(n) => n as usize,
                    _ => {
                        nodes.push([Rec::Empty, Rec::Empty]);
                        let n = nodes.len() - 1;
                        nodes[node][bit] = Rec::Node(n as u32);
                        n
                    }
                };
            }
        }
    }
    let count = nodes.len() as u32;
    let mut out = Vec::new();
    for n in &nodes {
        for r in n {
            let v = match r {
                Rec::Empty => count,
                Rec::Node(i) => *i,
                Rec::Data(off) => count + 16 + off,
            };
            assert!(v < 1 << 24 && v != EMPTY);
            out.extend_from_slice(&v.to_be_bytes()[1..]);
        }
    }
    out.extend_from_slice(&[0; 16]);
    out.extend_from_slice(&data);
    out.extend_from_slice(b"\xAB\xCD\xEFMaxMind.com");
    control(&mut out, 7, 9);
    string(&mut out, "binary_format_major_version");
    uint(&mut out, 5, 2);
    string(&mut out, "binary_format_minor_version");
    uint(&mut out, 5, 0);
    string(&mut out, "build_epoch");
    uint(&mut out, 9, 1_700_000_000);
    string(&mut out, "database_type");
    string(&mut out, "clickpath-test-country");
    string(&mut out, "description");
    control(&mut out, 7, 1);
    string(&mut out, "en");
    string(&mut out, "test data");
    string(&mut out, "ip_version");
    uint(&mut out, 5, 4);
    string(&mut out, "languages");
    control(&mut out, 11, 1);
    string(&mut out, "en");
    string(&mut out, "node_count");
    uint(&mut out, 6, u64::from(count));
    string(&mut out, "record_size");
    uint(&mut out, 5, 24);
    std::fs::write(path, out).unwrap();
}
