use super::*;
use crate::value::Collection;

fn hex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

fn b(s: &str) -> Bytes {
    Bytes::from(s.to_string())
}

fn restore(p: &[u8]) -> Value {
    assert!(verify_payload(p), "payload does not verify");
    read_payload(p).unwrap()
}

fn list_items(v: &Value) -> Vec<Bytes> {
    match v {
        Value::List(l) => l.iter().map(Bytes::copy_from_slice).collect(),
        _ => panic!("not a list"),
    }
}

// Payloads from redis-server 7.0.15's DUMP.
#[test]
fn reads_redis_payloads() {
    let l = restore(&hex(
        "1201022323000000070081610281620201010201df9c02f270110104f4351cdcdf0200000009ff0a005eec324e40956c67",
    ));
    assert_eq!(list_items(&l), ["a", "b", "1", "2", "-100", "70000", "12345678901"].map(b));
    let s = restore(&hex("0b100200000004000000fbff0100020003000a00c8e4dfb66f7396f0"));
    assert_eq!(s.encoding(), "intset");
    let Value::Set(s) = s else { panic!() };
    assert_eq!(s.iter().map(|e| e.to_bytes()).collect::<Vec<_>>(), ["-5", "1", "2", "3"].map(b));
    let Value::Hash(h) = restore(&hex("10151500000004008266310382763103826632037b01ff0a004ac585b69f9c1e83")) else {
        panic!()
    };
    assert_eq!((h.get(b"f1"), h.get(b"f2"), h.encoding()), (Some(&b"v1"[..]), Some(&b"123"[..]), "listpack"));
    let Value::ZSet(z) = restore(&hex("111a1a0000000600816302dffd0281610283312e35048162020201ff0a0088c4c030f0ae8276"))
    else {
        panic!()
    };
    assert_eq!(
        z.iter().map(|(m, s)| (m.to_vec(), s)).collect::<Vec<_>>(),
        vec![(b"c".to_vec(), -3.0), (b"a".to_vec(), 1.5), (b"b".to_vec(), 2.0)]
    );
    let lz = restore(&hex("00c30e4048016161e03200016263a0020162630a00381a47a63b11420b"));
    let mut want = vec![b'a'; 61];
    want.extend(b"bcabcabcabc");
    assert_eq!(lz, Value::string(Bytes::from(want)));
    assert_eq!(restore(&hex("00c240e201000a00432647f443197283")), Value::string(b("123456")));
}

#[test]
fn payload_checks() {
    let p = dump(&Value::string(b("hello")));
    assert!(verify_payload(&p));
    let mut bad = p.clone();
    bad[2] ^= 1;
    assert!(!verify_payload(&bad));
    let mut newer = p.clone();
    let n = newer.len();
    newer[n - 10] = 11;
    assert!(!verify_payload(&newer));
    assert!(!verify_payload(&p[..9]));
}

fn sample_values() -> Vec<Value> {
    let mut out = vec![
        Value::string(b("")),
        Value::string(b("-7")),
        Value::string(b("99999999999")),
        Value::string(b("x".repeat(100).as_str())),
    ];
    for n in [3usize, 1000] {
        let mut l = List::default();
        (0..n).for_each(|i| l.push_back(format!("e{i}").as_bytes()));
        out.push(Value::List(Box::new(l)));
        let mut s = Set::default();
        (0..n).for_each(|i| {
            s.insert(i.to_string().as_bytes(), 512);
        });
        out.push(Value::Set(Box::new(s)));
        let mut s = Set::default();
        (0..n).for_each(|i| {
            s.insert(format!("m{i}").as_bytes(), 512);
        });
        out.push(Value::Set(Box::new(s)));
        let mut h = Hash::default();
        (0..n).for_each(|i| {
            h.set(format!("f{i}").as_bytes(), i.to_string().as_bytes());
        });
        out.push(Value::Hash(h));
        out.push(Value::ZSet(ZSet::from_pairs(
            (0..n).map(|i| (i as f64 / 3.0, Bytes::from(format!("z{i}")))).collect(),
        )));
    }
    out.push(Value::ZSet(ZSet::from_pairs(vec![(f64::INFINITY, b("a")), (f64::NEG_INFINITY, b("b")), (-0.0, b("c"))])));
    // A large sorted set grown in random order, with updates and removals:
    // half-full leaves, several tree levels, freed and reused records.
    let mut z = ZSet::default();
    for i in 0..6000u64 {
        let m = format!("r{}", i.wrapping_mul(2654435761) % 5000);
        let s = (i.wrapping_mul(40503) % 977) as f64 / 4.0;
        match z.score(m.as_bytes()) {
            Some(_) if i % 5 == 0 => {
                z.remove(m.as_bytes());
            }
            Some(old) => z.update(m.as_bytes(), old, s),
            None => z.insert(m.as_bytes(), s),
        }
    }
    out.push(Value::ZSet(z));
    out
}

#[test]
fn values_round_trip_with_their_encodings() {
    for v in sample_values() {
        let back = restore(&dump(&v));
        assert_eq!(back, v);
        assert_eq!(back.encoding(), v.encoding());
    }
}

#[test]
fn files_round_trip() {
    let values = sample_values();
    let mut file = Vec::new();
    write_header(&mut file, 1_700_000_000, 12345);
    write_db_start(&mut file, 0, values.len(), 1);
    for (i, v) in values.iter().enumerate() {
        write_entry(&mut file, format!("k{i}").as_bytes(), v, if i == 1 { 1_900_000_000_000 } else { 0 });
    }
    write_db_start(&mut file, 5, 1, 0);
    write_entry(&mut file, b"other", &Value::string(b("v")), 0);
    let crc = crc64(0, &file);
    write_footer(&mut file, crc);

    let mut r = FileReader::new(&file).unwrap();
    for (i, v) in values.iter().enumerate() {
        let item = r.next_item().unwrap().unwrap();
        assert_eq!((item.db, &item.key[..], &item.value), (0, format!("k{i}").as_bytes(), v));
        assert_eq!(item.expire_at, if i == 1 { 1_900_000_000_000 } else { 0 });
    }
    let item = r.next_item().unwrap().unwrap();
    assert_eq!((item.db, &item.key[..]), (5, &b"other"[..]));
    assert!(r.next_item().unwrap().is_none());

    let mut bad = file.clone();
    bad[40] ^= 0x55;
    let mut r = FileReader::new(&bad).unwrap();
    let err = std::iter::from_fn(|| match r.next_item() {
        Ok(Some(_)) => Some(None),
        Ok(None) => None,
        Err(e) => Some(Some(e)),
    })
    .flatten()
    .next();
    assert!(err.is_some());
    // A zero checksum is not checked, as in Redis.
    let mut unchecked = file.clone();
    let n = unchecked.len();
    unchecked[n - 8..].fill(0);
    let mut r = FileReader::new(&unchecked).unwrap();
    while r.next_item().unwrap().is_some() {}
    assert!(FileReader::new(b"REDIS0011").is_err());
    assert!(FileReader::new(b"RUBBISH00").is_err());
}

#[test]
fn corrupt_input_is_an_error_not_a_panic() {
    for v in sample_values() {
        let mut body = Vec::new();
        write_value(&mut body, &v);
        for cut in 0..body.len().min(300) {
            let mut r = Reader::new(&body[1..cut.max(1)]);
            let _ = read_value(body[0], &mut r);
        }
        let mut r = Reader::new(&body[1..]);
        let _ = read_value(body[0], &mut r).unwrap();
        // Every byte flipped in turn.
        for i in 1..body.len().min(200) {
            let mut m = body.clone();
            m[i] ^= 0xff;
            let _ = read_value(m[0], &mut Reader::new(&m[1..]));
        }
    }
    // A huge stated length allocates nothing.
    let mut huge = vec![];
    write_len(&mut huge, u32::MAX as u64 * 8);
    assert_eq!(read_value(TYPE_LIST, &mut Reader::new(&huge)), Err(Error::Truncated));
    assert!(matches!(read_value(15, &mut Reader::new(&[])), Err(Error::Unsupported(_))));
    assert_eq!(read_value(TYPE_SET, &mut Reader::new(&[0])), Err(Error::EmptyKey));
    // Duplicates are corrupt.
    let mut dup = vec![2];
    write_string(&mut dup, b"a");
    write_string(&mut dup, b"a");
    assert!(matches!(read_value(TYPE_SET, &mut Reader::new(&dup)), Err(Error::Corrupt(_))));
}

#[test]
fn encodings_follow_thresholds_on_load() {
    let mut body = vec![];
    write_len(&mut body, 3);
    for m in ["1", "2", "3"] {
        write_string(&mut body, m.as_bytes());
    }
    let v = read_value(TYPE_SET, &mut Reader::new(&body)).unwrap();
    assert_eq!(v.encoding(), "intset");
    assert!(!crate::types::Set::of(&v).unwrap().is_empty());
}
