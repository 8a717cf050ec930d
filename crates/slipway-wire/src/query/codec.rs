//! The AWS query protocol's codec, driven by the botocore model: form
//! parameters (`RoleName=x&Tags.member.1.Key=k`) become the JSON shape the
//! model checker reads, so constraint messages are AWS's own; results are
//! written as `<OpResponse><OpResult>…</OpResult><ResponseMetadata>` XML in
//! the model's member order, lists as `<member>` elements.

use serde_json::{Map, Number, Value};
use slipway_botocore::{InputError, ServiceModel, ShapeType};
use std::collections::HashMap;
use std::fmt::Write;

/// Deeper than any STS or IAM shape; a recursive model cannot loop.
const MAX_DEPTH: usize = 16;
/// More list members than any STS/IAM input has (a safety bound, so a
/// hostile `X.member.999999999` costs nothing).
const MAX_LIST: usize = 1000;

/// Form parameters from the query string and (for a form POST) the body.
/// A name given twice keeps its last value.
pub(crate) fn params(query: Option<&str>, body: &[u8]) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for src in [query.unwrap_or("").as_bytes(), body] {
        for (k, v) in form_urlencoded::parse(src) {
            out.insert(k.into_owned(), v.into_owned());
        }
    }
    out
}

/// The operation's input as JSON, then checked against the model.
pub(crate) fn input(
    model: &ServiceModel,
    op: &str,
    params: &HashMap<String, String>,
) -> Result<Value, InputError> {
    let operation = model
        .operation(op)
        .ok_or_else(|| InputError::UnknownOperation(op.to_owned()))?;
    let value = match operation.input_shape() {
        Some(shape) => structure(model, shape, "", params, 0)?,
        None => Value::Object(Map::new()),
    };
    model.check_input(op, &value)?;
    Ok(value)
}

fn structure(
    model: &ServiceModel,
    shape: &str,
    prefix: &str,
    params: &HashMap<String, String>,
    depth: usize,
) -> Result<Value, InputError> {
    let mut out = Map::new();
    let Some(s) = model.shape(shape) else {
        return Ok(Value::Object(out));
    };
    for m in s.members() {
        let key = format!("{prefix}{}", m.name());
        if let Some(v) = value(model, m.shape(), &key, params, depth + 1)? {
            out.insert(m.name().to_owned(), v);
        }
    }
    Ok(Value::Object(out))
}

/// The member at `key`, or `None` when the form does not carry it.
fn value(
    model: &ServiceModel,
    shape: &str,
    key: &str,
    params: &HashMap<String, String>,
    depth: usize,
) -> Result<Option<Value>, InputError> {
    if depth > MAX_DEPTH {
        return Ok(None);
    }
    let Some(s) = model.shape(shape) else {
        return Ok(None);
    };
    let text = params.get(key);
    let bad = |kind: &str, v: &str| {
        InputError::Serialization(format!("Value '{v}' at '{key}' is not a valid {kind}"))
    };
    Ok(match s.shape_type() {
        ShapeType::Structure => {
            let nested = format!("{key}.");
            if !params.keys().any(|k| k.starts_with(&nested)) {
                return Ok(None);
            }
            Some(structure(model, shape, &nested, params, depth)?)
        }
        ShapeType::List => {
            let Some(member) = s.member_shape() else {
                return Ok(None);
            };
            let base = format!("{key}.member.");
            if !params.keys().any(|k| k.starts_with(&base)) {
                // `Name=` with no members is how the query protocol sends an
                // empty list.
                return Ok(text.map(|_| Value::Array(Vec::new())));
            }
            let mut items = Vec::new();
            for i in 1..=MAX_LIST {
                match value(model, member, &format!("{base}{i}"), params, depth + 1)? {
                    Some(v) => items.push(v),
                    None => break,
                }
            }
            Some(Value::Array(items))
        }
        // STS and IAM inputs have no maps; a map member is left out.
        ShapeType::Map => None,
        ShapeType::Integer | ShapeType::Long => match text {
            Some(t) => Some(Value::Number(
                t.trim()
                    .parse::<i64>()
                    .map_err(|_| bad("number", t))?
                    .into(),
            )),
            None => None,
        },
        ShapeType::Float | ShapeType::Double => match text {
            Some(t) => {
                let n = t.trim().parse::<f64>().ok().and_then(Number::from_f64);
                Some(Value::Number(n.ok_or_else(|| bad("number", t))?))
            }
            None => None,
        },
        ShapeType::Boolean => match text.map(String::as_str) {
            Some("true") => Some(Value::Bool(true)),
            Some("false") => Some(Value::Bool(false)),
            Some(t) => return Err(bad("boolean", t)),
            None => None,
        },
        ShapeType::String | ShapeType::Timestamp | ShapeType::Blob => {
            text.map(|t| Value::String(t.clone()))
        }
    })
}

/// `<OpResponse xmlns=…><OpResult>result</OpResult><ResponseMetadata>…`.
pub(crate) fn response(
    model: &ServiceModel,
    op: &str,
    namespace: &str,
    result: &Value,
    request_id: &str,
) -> String {
    let mut out =
        format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<{op}Response xmlns=\"{namespace}\">");
    let shape = model.operation(op).and_then(|o| o.output_shape());
    if let Some(shape) = shape {
        let _ = write!(out, "<{op}Result>");
        members(model, shape, result, &mut out, 0);
        let _ = write!(out, "</{op}Result>");
    }
    let _ = write!(
        out,
        "<ResponseMetadata><RequestId>{}</RequestId></ResponseMetadata></{op}Response>",
        escape(request_id)
    );
    out
}

/// A structure's members present in `value`, in model order.
fn members(model: &ServiceModel, shape: &str, value: &Value, out: &mut String, depth: usize) {
    let (Some(s), Some(obj)) = (model.shape(shape), value.as_object()) else {
        return;
    };
    for m in s.members() {
        if let Some(v) = obj.get(m.name()) {
            let name = m.name();
            let _ = write!(out, "<{name}>");
            element(model, m.shape(), v, out, depth + 1);
            let _ = write!(out, "</{name}>");
        }
    }
}

fn element(model: &ServiceModel, shape: &str, value: &Value, out: &mut String, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    let Some(s) = model.shape(shape) else {
        return;
    };
    match (s.shape_type(), value) {
        (ShapeType::Structure, _) => members(model, shape, value, out, depth),
        (ShapeType::List, Value::Array(items)) => {
            let member = s.member_shape().unwrap_or_default();
            for item in items {
                out.push_str("<member>");
                element(model, member, item, out, depth + 1);
                out.push_str("</member>");
            }
        }
        (_, Value::String(text)) => out.push_str(&escape(text)),
        (_, Value::Null) => {}
        (_, other) => out.push_str(&escape(&other.to_string())),
    }
}

/// Escapes element text.
pub(crate) fn escape(text: &str) -> String {
    slipway_wire_core::error::xml_escape(text)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap freely (STYLE.md §6)
mod tests {
    use super::*;

    fn form(s: &str) -> HashMap<String, String> {
        params(None, s.as_bytes())
    }

    #[test]
    fn form_parameters_become_the_models_json() {
        let p = form(
            "Action=CreateRole&RoleName=r1&Path=%2Fa%2F&MaxSessionDuration=7200\
             &AssumeRolePolicyDocument=%7B%22Version%22%3A%222012-10-17%22%7D\
             &Tags.member.1.Key=team&Tags.member.1.Value=b&Tags.member.2.Key=x&Tags.member.2.Value=y",
        );
        let v = input(slipway_botocore::iam(), "CreateRole", &p).unwrap();
        assert_eq!(
            v,
            serde_json::json!({
                "Path": "/a/",
                "RoleName": "r1",
                "AssumeRolePolicyDocument": "{\"Version\":\"2012-10-17\"}",
                "MaxSessionDuration": 7200,
                "Tags": [{"Key": "team", "Value": "b"}, {"Key": "x", "Value": "y"}]
            })
        );
        let p = form("ActionNames.member.1=s3%3AGetObject&ActionNames.member.2=sagemaker%3A*&PolicySourceArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fr");
        let v = input(slipway_botocore::iam(), "SimulatePrincipalPolicy", &p).unwrap();
        assert_eq!(
            v["ActionNames"],
            serde_json::json!(["s3:GetObject", "sagemaker:*"])
        );
    }

    #[test]
    fn constraints_are_checked_with_aws_messages_and_bad_numbers_refused() {
        let p = form("RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fr&RoleSessionName=a%20b");
        let e = input(slipway_botocore::sts(), "AssumeRole", &p).unwrap_err();
        assert!(
            e.to_string().starts_with("1 validation error detected: Value 'a b' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: "),
            "{e}"
        );
        let e = input(
            slipway_botocore::sts(),
            "GetSessionToken",
            &form("DurationSeconds=soon"),
        )
        .unwrap_err();
        assert!(matches!(e, InputError::Serialization(_)), "{e}");
        let e = input(slipway_botocore::iam(), "GetRole", &form("")).unwrap_err();
        assert!(e.to_string().contains("'roleName'"), "{e}");
        assert!(matches!(
            input(slipway_botocore::iam(), "CreateUser", &form("")),
            Err(InputError::UnknownOperation(_))
        ));
    }

    #[test]
    fn results_are_xml_in_model_order_with_members_and_escapes() {
        let result = serde_json::json!({
            "IsTruncated": true,
            "Roles": [{"RoleName": "a<b", "Arn": "arn&", "Path": "/", "RoleId": "AROA1", "CreateDate": "2024-01-01T00:00:00Z", "MaxSessionDuration": 3600}],
            "Marker": "m"
        });
        let xml = response(
            slipway_botocore::iam(),
            "ListRoles",
            "https://iam.amazonaws.com/doc/2010-05-08/",
            &result,
            "rid",
        );
        assert_eq!(
            xml,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
             <ListRolesResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><ListRolesResult>\
             <Roles><member><Path>/</Path><RoleName>a&lt;b</RoleName><RoleId>AROA1</RoleId><Arn>arn&amp;</Arn>\
             <CreateDate>2024-01-01T00:00:00Z</CreateDate><MaxSessionDuration>3600</MaxSessionDuration></member></Roles>\
             <IsTruncated>true</IsTruncated><Marker>m</Marker></ListRolesResult>\
             <ResponseMetadata><RequestId>rid</RequestId></ResponseMetadata></ListRolesResponse>"
        );
    }
}
