//! Business rules on specifications that the shape model cannot express:
//! a validation profile must be runnable by the resource it validates.
//! These run at create time so a seller learns of a mismatch in
//! milliseconds instead of after a failed validation.

use crate::error::{Error, Result};
use slipway_core::spec::{
    HyperParameterSpec, InferenceSpec, TrainingJobDefinition, TrainingSpec, TransformJobDefinition,
    ValidationSpec,
};
use std::collections::HashSet;

/// Checks an algorithm's own specification for internal consistency.
pub fn training_specification(spec: &TrainingSpec) -> Result<()> {
    let mut seen = HashSet::new();
    for (i, ch) in spec.training_channels.iter().enumerate() {
        if !seen.insert(ch.name.as_str()) {
            return Err(Error::invalid(
                format!("TrainingSpecification.TrainingChannels.{}.Name", i + 1),
                format!("Channel name '{}' is declared more than once.", ch.name),
            ));
        }
    }
    let mut seen = HashSet::new();
    for (i, hp) in spec.supported_hyper_parameters.iter().enumerate() {
        let field = format!("TrainingSpecification.SupportedHyperParameters.{}", i + 1);
        if !seen.insert(hp.name.as_str()) {
            return Err(Error::invalid(
                field,
                format!("Hyperparameter '{}' is declared more than once.", hp.name),
            ));
        }
        hyperparameter_range(hp, &field)?;
        if let Some(default) = &hp.default_value {
            check_value(hp, default).map_err(|why| {
                Error::invalid(
                    format!("{field}.DefaultValue"),
                    format!(
                        "DefaultValue '{default}' of hyperparameter '{}' {why}.",
                        hp.name
                    ),
                )
            })?;
        }
    }
    Ok(())
}

fn hyperparameter_range(hp: &HyperParameterSpec, field: &str) -> Result<()> {
    let Some(range) = &hp.range else {
        return Ok(());
    };
    let kinds = [
        (
            "Integer",
            range.integer_parameter_range_specification.is_some(),
        ),
        (
            "Continuous",
            range.continuous_parameter_range_specification.is_some(),
        ),
        (
            "Categorical",
            range.categorical_parameter_range_specification.is_some(),
        ),
    ];
    let given: Vec<&str> = kinds
        .iter()
        .filter(|(_, set)| *set)
        .map(|(k, _)| *k)
        .collect();
    if given.len() != 1 || given[0] != hp.kind {
        return Err(Error::invalid(
            format!("{field}.Range"),
            format!(
                "Hyperparameter '{}' of type {} must have exactly one range, of the matching kind ({}ParameterRangeSpecification); got [{}].",
                hp.name,
                hp.kind,
                hp.kind,
                given.join(", ")
            ),
        ));
    }
    let parse_pair = |min: &str, max: &str, integer: bool| -> Option<bool> {
        if integer {
            Some(min.trim().parse::<i64>().ok()? <= max.trim().parse::<i64>().ok()?)
        } else {
            Some(min.trim().parse::<f64>().ok()? <= max.trim().parse::<f64>().ok()?)
        }
    };
    for (mm, integer) in [
        (&range.integer_parameter_range_specification, true),
        (&range.continuous_parameter_range_specification, false),
    ] {
        if let Some(mm) = mm {
            match parse_pair(&mm.min_value, &mm.max_value, integer) {
                Some(true) => {}
                Some(false) => {
                    return Err(Error::invalid(
                        format!("{field}.Range"),
                        format!(
                            "Hyperparameter '{}' has MinValue {} greater than MaxValue {}.",
                            hp.name, mm.min_value, mm.max_value
                        ),
                    ))
                }
                None => {
                    return Err(Error::invalid(
                        format!("{field}.Range"),
                        format!(
                            "Hyperparameter '{}' range bounds '{}'..'{}' are not {} numbers.",
                            hp.name,
                            mm.min_value,
                            mm.max_value,
                            if integer { "integer" } else { "decimal" }
                        ),
                    ))
                }
            }
        }
    }
    Ok(())
}

/// Why `value` does not fit the hyperparameter's type and range, if it does not.
fn check_value(hp: &HyperParameterSpec, value: &str) -> std::result::Result<(), String> {
    let range = hp.range.as_ref();
    match hp.kind.as_str() {
        "Integer" => {
            let v: i64 = value
                .trim()
                .parse()
                .map_err(|_| "is not an integer".to_string())?;
            if let Some(r) = range.and_then(|r| r.integer_parameter_range_specification.as_ref()) {
                let (lo, hi) = (
                    r.min_value.trim().parse::<i64>(),
                    r.max_value.trim().parse::<i64>(),
                );
                if let (Ok(lo), Ok(hi)) = (lo, hi) {
                    if v < lo || v > hi {
                        return Err(format!("is outside the range [{lo}, {hi}]"));
                    }
                }
            }
        }
        "Continuous" => {
            let v: f64 = value
                .trim()
                .parse()
                .map_err(|_| "is not a number".to_string())?;
            if !v.is_finite() {
                return Err("is not a finite number".into());
            }
            if let Some(r) = range.and_then(|r| r.continuous_parameter_range_specification.as_ref())
            {
                let (lo, hi) = (
                    r.min_value.trim().parse::<f64>(),
                    r.max_value.trim().parse::<f64>(),
                );
                if let (Ok(lo), Ok(hi)) = (lo, hi) {
                    if v < lo || v > hi {
                        return Err(format!(
                            "is outside the range [{}, {}]",
                            r.min_value, r.max_value
                        ));
                    }
                }
            }
        }
        "Categorical" => {
            if let Some(r) =
                range.and_then(|r| r.categorical_parameter_range_specification.as_ref())
            {
                if !r.values.iter().any(|v| v == value) {
                    return Err(format!("is not one of [{}]", r.values.join(", ")));
                }
            }
        }
        _ => {}
    }
    Ok(())
}

/// Checks each algorithm validation profile against the algorithm.
pub fn algorithm_profiles(
    training: &TrainingSpec,
    inference: Option<&InferenceSpec>,
    validation: &ValidationSpec,
) -> Result<()> {
    for (i, profile) in validation.validation_profiles.iter().enumerate() {
        let base = format!("ValidationSpecification.ValidationProfiles.{}", i + 1);
        if let Some(def) = &profile.training_job_definition {
            training_job_definition(training, def, &format!("{base}.TrainingJobDefinition"))?;
        }
        if let Some(tjd) = &profile.transform_job_definition {
            let Some(inference) = inference else {
                return Err(Error::invalid(
                    format!("{base}.TransformJobDefinition"),
                    format!(
                        "Validation profile '{}' has a TransformJobDefinition, but the algorithm has no InferenceSpecification to run it with.",
                        profile.profile_name
                    ),
                ));
            };
            transform_job_definition(inference, tjd, &format!("{base}.TransformJobDefinition"))?;
        }
    }
    Ok(())
}

/// Checks a training job definition (a profile's, or later a training
/// job's) against the algorithm's training specification.
pub fn training_job_definition(
    spec: &TrainingSpec,
    def: &TrainingJobDefinition,
    field: &str,
) -> Result<()> {
    let rc = &def.resource_config;
    // A heterogeneous cluster: every group's type must be supported, and
    // its hosts in all count as the instance count.
    let types: Vec<(String, &str)> = if rc.instance_groups.is_empty() {
        rc.instance_type
            .iter()
            .map(|t| (format!("{field}.ResourceConfig.InstanceType"), t.as_str()))
            .collect()
    } else {
        rc.instance_groups
            .iter()
            .enumerate()
            .map(|(i, g)| {
                let f = format!(
                    "{field}.ResourceConfig.InstanceGroups.{}.InstanceType",
                    i + 1
                );
                (f, g.instance_type.as_str())
            })
            .collect()
    };
    for (f, it) in types {
        if !spec
            .supported_training_instance_types
            .iter()
            .any(|s| s == it)
        {
            return Err(Error::invalid(
                f,
                format!(
                    "Instance type {it} is not in the algorithm's SupportedTrainingInstanceTypes [{}].",
                    spec.supported_training_instance_types.join(", ")
                ),
            ));
        }
    }
    let distributed = spec.supports_distributed_training == Some(true);
    if rc.instance_groups.is_empty() {
        let count = rc.instance_count.unwrap_or(1);
        if count > 1 && !distributed {
            return Err(Error::invalid(
                format!("{field}.ResourceConfig.InstanceCount"),
                format!(
                    "InstanceCount {count} needs an algorithm with SupportsDistributedTraining=true."
                ),
            ));
        }
    } else {
        let count: i64 = rc
            .instance_groups
            .iter()
            .map(|g| g.instance_count.max(0))
            .sum();
        if count > 1 && !distributed {
            return Err(Error::invalid(
                format!("{field}.ResourceConfig.InstanceGroups"),
                format!(
                    "InstanceGroups with {count} instances in all need an algorithm with SupportsDistributedTraining=true."
                ),
            ));
        }
    }
    let mut given = HashSet::new();
    for (i, ch) in def.input_data_config.iter().enumerate() {
        let cfield = format!("{field}.InputDataConfig.{}", i + 1);
        if !given.insert(ch.channel_name.as_str()) {
            return Err(Error::invalid(
                cfield,
                format!("Channel '{}' appears more than once.", ch.channel_name),
            ));
        }
        let Some(cs) = spec
            .training_channels
            .iter()
            .find(|c| c.name == ch.channel_name)
        else {
            let known: Vec<&str> = spec
                .training_channels
                .iter()
                .map(|c| c.name.as_str())
                .collect();
            return Err(Error::invalid(
                format!("{cfield}.ChannelName"),
                format!(
                    "Channel '{}' is not a channel of the algorithm's TrainingSpecification (channels: [{}]).",
                    ch.channel_name,
                    known.join(", ")
                ),
            ));
        };
        let mode = ch.input_mode.as_deref().unwrap_or(&def.training_input_mode);
        if !cs.supported_input_modes.iter().any(|m| m == mode) {
            return Err(Error::invalid(
                format!("{cfield}.InputMode"),
                format!(
                    "Input mode {mode} is not supported by channel '{}' (SupportedInputModes: [{}]).",
                    cs.name,
                    cs.supported_input_modes.join(", ")
                ),
            ));
        }
        if let Some(ct) = &ch.content_type {
            if !cs.supported_content_types.iter().any(|s| s == ct) {
                return Err(Error::invalid(
                    format!("{cfield}.ContentType"),
                    format!(
                        "Content type {ct} is not supported by channel '{}' (SupportedContentTypes: [{}]).",
                        cs.name,
                        cs.supported_content_types.join(", ")
                    ),
                ));
            }
        }
        if let (Some(c), Some(supported)) = (&ch.compression_type, &cs.supported_compression_types)
        {
            if c != "None" && !supported.iter().any(|s| s == c) {
                return Err(Error::invalid(
                    format!("{cfield}.CompressionType"),
                    format!(
                        "Compression type {c} is not supported by channel '{}' (SupportedCompressionTypes: [{}]).",
                        cs.name,
                        supported.join(", ")
                    ),
                ));
            }
        }
    }
    for cs in &spec.training_channels {
        if cs.is_required == Some(true) && !given.contains(cs.name.as_str()) {
            return Err(Error::invalid(
                format!("{field}.InputDataConfig"),
                format!("Channel '{}' is required by the algorithm's TrainingSpecification but is missing.", cs.name),
            ));
        }
    }
    let hps = &def.hyper_parameters;
    for (name, value) in hps {
        // The platform's own: a tuning job names its objective to every
        // child (docs/tuning.md), whatever the algorithm declares.
        if name == crate::jobs::tuning::checks::OBJECTIVE_HYPERPARAMETER {
            continue;
        }
        let hfield = format!("{field}.HyperParameters.{name}");
        let Some(hp) = spec
            .supported_hyper_parameters
            .iter()
            .find(|h| &h.name == name)
        else {
            return Err(Error::invalid(
                hfield,
                format!("Hyperparameter '{name}' is not among the algorithm's SupportedHyperParameters."),
            ));
        };
        check_value(hp, value).map_err(|why| {
            Error::invalid(
                hfield.clone(),
                format!("Value '{value}' of hyperparameter '{name}' {why}."),
            )
        })?;
    }
    for hp in &spec.supported_hyper_parameters {
        if hp.is_required == Some(true) && hp.default_value.is_none() && !hps.contains_key(&hp.name)
        {
            return Err(Error::invalid(
                format!("{field}.HyperParameters"),
                format!(
                    "Hyperparameter '{}' is required by the algorithm but is missing.",
                    hp.name
                ),
            ));
        }
    }
    Ok(())
}

/// Checks a transform job definition against the inference specification
/// that will run it.
pub fn transform_job_definition(
    inference: &InferenceSpec,
    tjd: &TransformJobDefinition,
    field: &str,
) -> Result<()> {
    type Check<'a> = (&'a str, Option<&'a str>, &'a Option<Vec<String>>, &'a str);
    let checks: [Check; 3] = [
        (
            "TransformResources.InstanceType",
            Some(tjd.transform_resources.instance_type.as_str()).filter(|s| !s.is_empty()),
            &inference.supported_transform_instance_types,
            "SupportedTransformInstanceTypes",
        ),
        (
            "TransformInput.ContentType",
            tjd.transform_input.content_type.as_deref(),
            &inference.supported_content_types,
            "SupportedContentTypes",
        ),
        (
            "TransformOutput.Accept",
            tjd.transform_output.accept.as_deref(),
            &inference.supported_response_mime_types,
            "SupportedResponseMIMETypes",
        ),
    ];
    for (path, given, supported, list_name) in checks {
        if let (Some(v), Some(supported)) = (given, supported) {
            if !supported.iter().any(|s| s == v) {
                return Err(Error::invalid(
                    format!("{field}.{path}"),
                    format!(
                        "{v} is not in the InferenceSpecification's {list_name} [{}].",
                        supported.join(", ")
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// Checks each model package validation profile against the inference
/// specification that will serve it.
pub fn model_package_profiles(
    inference: &InferenceSpec,
    validation: &ValidationSpec,
) -> Result<()> {
    for (i, profile) in validation.validation_profiles.iter().enumerate() {
        let base = format!(
            "ValidationSpecification.ValidationProfiles.{}.TransformJobDefinition",
            i + 1
        );
        match &profile.transform_job_definition {
            Some(tjd) => transform_job_definition(inference, tjd, &base)?,
            None => {
                return Err(Error::invalid(
                    base,
                    "A model package validation profile needs a TransformJobDefinition.",
                ))
            }
        }
    }
    Ok(())
}

/// Every container needs an image to run.
pub fn inference_containers(inference: &InferenceSpec, field: &str) -> Result<()> {
    for (i, c) in inference.containers.iter().enumerate() {
        if c.image.is_empty() {
            return Err(Error::invalid(
                format!("{field}.Containers.{}.Image", i + 1),
                "Each container in the InferenceSpecification needs an Image.",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "checks_tests.rs"]
mod tests;
