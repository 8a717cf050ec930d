use super::*;

const CSV: Option<&str> = Some("text/csv");
const JSONL: Option<&str> = Some("application/jsonlines");
const JSON: Option<&str> = Some("application/json");

fn dp(input: Option<&str>, output: Option<&str>, join: bool, ct: Option<&str>) -> DataProcessing {
    DataProcessing::new(input, output, join, ct, ct).unwrap()
}

fn s(b: Bytes) -> String {
    String::from_utf8(b.to_vec()).unwrap()
}

#[test]
fn parses_the_documented_subset() {
    for ok in [
        "$",
        "",
        "$.features",
        "$.a.b",
        "$[*]",
        "$.*",
        "$['id','SageMakerOutput']",
        "$[\"a\"]",
        "$[0]",
        "$[-1]",
        "$[0,-1]",
        "$[1:]",
        "$[:3]",
        "$[1:4]",
        "$.features[1:]",
        // AWS's own OutputFilter example, and what RFC 9535 allows besides.
        "$[0,5:]",
        "$[1:2:1]",
        "$['a.b']",
        r"$['it\'s']",
    ] {
        assert!(JsonPath::parse(ok).is_ok(), "{ok}");
    }
    for bad in [
        "features",
        "$..a",
        "$[?(@.a)]",
        "$[1:4:2]",
        "$['a',0]",
        "$[a]",
        "$[",
        "$.",
        "$[0,]",
    ] {
        assert!(JsonPath::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn create_time_errors_name_the_member() {
    let err = DataProcessing::new(Some("$..x"), None, false, JSON, JSON).unwrap_err();
    assert!(
        err.to_string().starts_with("DataProcessing.InputFilter: "),
        "{err}"
    );
    let err = DataProcessing::new(None, Some("x"), false, JSON, JSON).unwrap_err();
    assert!(
        err.to_string().starts_with("DataProcessing.OutputFilter: "),
        "{err}"
    );
    let err = DataProcessing::new(
        Some("$[1:]"),
        None,
        false,
        Some("application/x-recordio"),
        None,
    )
    .unwrap_err();
    assert!(
        err.to_string().starts_with("TransformInput.ContentType: "),
        "{err}"
    );
    let err = DataProcessing::new(Some("$[1:]"), None, false, None, None).unwrap_err();
    assert!(
        err.to_string().starts_with("TransformInput.ContentType: "),
        "{err}"
    );
    let err = DataProcessing::new(None, None, true, CSV, Some("image/png")).unwrap_err();
    assert!(
        err.to_string().starts_with("TransformOutput.Accept: "),
        "{err}"
    );
    let err = DataProcessing::new(None, None, true, CSV, JSON).unwrap_err();
    assert!(err.to_string().contains("Accept must equal"), "{err}");
    let err = DataProcessing::new(Some("$.features"), None, false, CSV, CSV).unwrap_err();
    assert!(err.to_string().contains("only index paths"), "{err}");
    // Identity processing does not care about content types.
    assert!(
        DataProcessing::new(Some("$"), Some(""), false, Some("image/png"), None)
            .unwrap()
            .is_identity()
    );
    assert!(!dp(Some("$[1:]"), None, false, CSV).is_identity());
}

#[test]
fn framing_rules_for_csv_and_joins() {
    let csv = dp(Some("$[1:]"), None, false, CSV);
    assert!(csv.check_framing(true, true).is_ok());
    assert!(csv
        .check_framing(false, true)
        .unwrap_err()
        .to_string()
        .starts_with("TransformInput.SplitType"));
    assert!(csv
        .check_framing(true, false)
        .unwrap_err()
        .to_string()
        .starts_with("TransformOutput.AssembleWith"));
    let json_join = dp(None, None, true, JSON);
    assert!(json_join.check_framing(false, false).is_ok());
    assert!(json_join.check_framing(true, false).is_err());
}

#[test]
fn csv_input_filter_keeps_newline_and_quotes() {
    let f = dp(Some("$[1:]"), None, false, CSV);
    assert_eq!(
        s(f.filter_input(b"id7,1.5,\"a,b\"\n").unwrap()),
        "1.5,\"a,b\"\n"
    );
    assert_eq!(s(f.filter_input(b"id7,1.5,2").unwrap()), "1.5,2");
    let f = dp(Some("$[0,-1]"), None, false, CSV);
    assert_eq!(s(f.filter_input(b"a,b,c\r\n").unwrap()), "a,c\n");
    let f = dp(Some("$[0]"), None, false, CSV);
    assert_eq!(
        s(f.filter_input(b"\"x \"\"q\"\"\",b\n").unwrap()),
        "\"x \"\"q\"\"\"\n"
    );
}

#[test]
fn slices_are_inclusive_and_out_of_range_fails() {
    let f = dp(Some("$[1:4]"), None, false, CSV);
    assert_eq!(
        s(f.filter_input(b"c0,c1,c2,c3,c4,c5\n").unwrap()),
        "c1,c2,c3,c4\n"
    );
    let f = dp(Some("$[:1]"), None, false, CSV);
    assert_eq!(s(f.filter_input(b"a,b,c").unwrap()), "a,b");
    let f = dp(Some("$[5]"), None, false, CSV);
    let err = f.filter_input(b"a,b,c").unwrap_err();
    assert_eq!(
        err.to_string(),
        "InputFilter: JSONPath '$[5]': index 5 is outside the record's 3 elements"
    );
    let f = dp(Some("$[1:9]"), None, false, CSV);
    assert!(f.filter_input(b"a,b,c").is_err());
}

#[test]
fn unions_of_indexes_and_slices_pick_in_order() {
    // The OutputFilter example of AWS's DataProcessing reference.
    let f = dp(Some("$[0,5:]"), None, false, CSV);
    assert_eq!(
        s(f.filter_input(b"c0,c1,c2,c3,c4,c5,c6\n").unwrap()),
        "c0,c5,c6\n"
    );
    let f = dp(Some("$[-1,0:1]"), None, false, CSV);
    assert_eq!(s(f.filter_input(b"a,b,c").unwrap()), "c,a,b");
    let f = dp(Some("$['a.b',\"c\"]"), None, false, JSONL);
    assert_eq!(
        s(f.filter_input(b"{\"a.b\":1,\"c\":2,\"d\":3}\n").unwrap()),
        "{\"a.b\":1,\"c\":2}\n"
    );
}

#[test]
fn csv_join_appends_output_columns_then_filters() {
    let f = dp(Some("$[1:]"), None, true, CSV);
    assert_eq!(
        s(f.join_and_filter_output(b"1,2,3\n", b"1\n").unwrap()),
        "1,2,3,1"
    );
    let f = dp(Some("$[1:]"), Some("$[0,-1]"), true, CSV);
    assert_eq!(
        s(f.join_and_filter_output(b"id9,2,3\n", b"0.75").unwrap()),
        "id9,0.75"
    );
}

#[test]
fn json_filters_and_joins() {
    let f = dp(Some("$.features"), None, false, JSONL);
    assert_eq!(
        s(f.filter_input(b"{\"id\": 1, \"features\": [1, 2]}\n")
            .unwrap()),
        "[1,2]\n"
    );
    let f = dp(
        Some("$.features"),
        Some("$['id','SageMakerOutput']"),
        true,
        JSONL,
    );
    let out = f
        .join_and_filter_output(b"{\"id\":1,\"features\":[1,2]}\n", b"{\"score\":0.5}")
        .unwrap();
    assert_eq!(s(out), "{\"id\":1,\"SageMakerOutput\":{\"score\":0.5}}");
    // Non-object input: wrapped; the reserved key is overwritten.
    let f = dp(None, None, true, JSONL);
    assert_eq!(
        s(f.join_and_filter_output(b"[1,2]", b"3").unwrap()),
        "{\"SageMakerInput\":[1,2],\"SageMakerOutput\":3}"
    );
    assert_eq!(
        s(f.join_and_filter_output(b"{\"SageMakerOutput\":0}", b"3")
            .unwrap()),
        "{\"SageMakerOutput\":3}"
    );
    let f = dp(None, Some("$.SageMakerOutput"), true, JSON);
    assert_eq!(
        s(f.join_and_filter_output(b"{\"a\":1}", b"[0.1, 0.9]")
            .unwrap()),
        "[0.1,0.9]"
    );
    let f = dp(Some("$.a[0]"), None, false, JSON);
    assert_eq!(
        f.filter_input(b"{\"a\":{\"b\":1}}")
            .unwrap_err()
            .to_string(),
        "InputFilter: JSONPath '$.a[0]': '[0]' does not apply to an object"
    );
    let f = dp(Some("$.missing"), None, false, JSON);
    assert!(f
        .filter_input(b"{\"a\":1}")
        .unwrap_err()
        .to_string()
        .contains("no member 'missing'"));
    assert!(f
        .filter_input(b"{not json")
        .unwrap_err()
        .to_string()
        .contains("not valid JSON"));
}

#[test]
fn wildcards_and_index_lists_on_json() {
    let f = dp(Some("$.*"), None, false, JSON);
    assert_eq!(
        s(f.filter_input(b"{\"a\":1,\"b\":[2]}").unwrap()),
        "[1,[2]]"
    );
    let f = dp(Some("$.x[0,-1]"), None, false, JSON);
    assert_eq!(s(f.filter_input(b"{\"x\":[1,2,3]}").unwrap()), "[1,3]");
}

#[test]
fn output_filter_without_join_applies_to_output() {
    let f = dp(None, Some("$[0]"), false, CSV);
    assert_eq!(
        s(f.join_and_filter_output(b"ignored", b"p,q\n").unwrap()),
        "p"
    );
    let identity = dp(None, None, false, CSV);
    assert_eq!(
        s(identity.join_and_filter_output(b"x", b"raw out\n").unwrap()),
        "raw out"
    );
}

#[test]
fn split_response_lines_and_json() {
    let csv = dp(None, None, true, CSV);
    let parts = csv.split_response(b"1\n0\r\n1\n\n", 3).unwrap();
    assert_eq!(
        parts,
        vec![Bytes::from("1"), Bytes::from("0"), Bytes::from("1")]
    );
    let err = csv.split_response(b"1\n0\n", 3).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the container returned 2 output records for 3 input records"
    );
    let json = dp(None, None, true, JSON);
    assert_eq!(
        json.split_response(b"[{\"a\":1}, 2]", 2).unwrap(),
        vec![Bytes::from("{\"a\":1}"), Bytes::from("2")]
    );
    assert_eq!(
        json.split_response(b"{\"a\":1}\n{\"a\":2}\n", 2)
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        json.split_response(b" [1,2] ", 1).unwrap(),
        vec![Bytes::from("[1,2]")]
    );
    assert!(json.split_response(b"[1,2,3]", 2).is_err());
    assert!(json
        .split_response(b"{oops", 2)
        .unwrap_err()
        .to_string()
        .contains("not JSON"));
    let jsonl = dp(None, None, true, JSONL);
    let pretty = b"{\n  \"a\": [1,\n 2]\n}\n[3,\n4]\n";
    assert_eq!(
        jsonl.split_response(pretty, 2).unwrap(),
        vec![Bytes::from("{\"a\":[1,2]}"), Bytes::from("[3,4]")]
    );
    assert_eq!(
        jsonl.split_response(b"[1,\n2]", 1).unwrap(),
        vec![Bytes::from("[1,2]")]
    );
    assert_eq!(
        jsonl.split_response(b"{\"a\":1}\n{\"a\":2}\n", 2).unwrap()[1],
        Bytes::from("{\"a\":2}")
    );
    assert!(jsonl.split_response(b"1\n2\n3\n", 2).is_err());
}

#[test]
fn mime_parameters_are_ignored() {
    assert_eq!(
        DataFormat::from_mime("text/csv; charset=utf-8"),
        Some(DataFormat::Csv)
    );
    assert_eq!(
        DataFormat::from_mime("Application/JSONLines"),
        Some(DataFormat::JsonLines)
    );
    assert_eq!(DataFormat::from_mime("text/plain"), None);
}
