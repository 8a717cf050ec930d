//! CreateHyperParameterTuningJob's rules beyond the botocore model
//! (docs/tuning.md "What is refused"): the strategy's own rules, the
//! limits on what is searched, the objective metric, and — for an
//! algorithm resource — that every searched hyperparameter is declared
//! tunable, of the range's type, and searched inside its declared range.

use crate::error::{Error, Result};
use slipway_core::spec::tuning::{TunedRange, TuningJobSpec};
use slipway_core::spec::{HyperParameterSpec, MetricDefinition};
use slipway_tuning::{Range, Scaling, Space};

/// AWS's limits (docs/tuning.md "Limits").
pub const MAX_SEARCHED: usize = 30;
pub const MAX_CATEGORICAL_VALUES: usize = 30;
pub const MAX_TRAINING_JOBS: i64 = 750;
pub const MAX_PARALLEL_TRAINING_JOBS: i64 = 100;
pub const MAX_WARM_START_PARENTS: usize = 5;
/// The hyperparameter AWS adds to every child: the objective's name.
pub const OBJECTIVE_HYPERPARAMETER: &str = "_tuning_objective_metric";

fn invalid(field: &str, reason: impl Into<String>) -> Error {
    Error::invalid(field, reason)
}

/// The strategy, limits and ranges, before anything is looked up.
pub fn request(spec: &TuningJobSpec) -> Result<Space> {
    let config = "HyperParameterTuningJobConfig";
    if spec.ranges.len() > MAX_SEARCHED {
        return Err(invalid(
            config,
            format!(
                "The number of hyperparameters to tune ({}) exceeds the limit of {MAX_SEARCHED}.",
                spec.ranges.len()
            ),
        ));
    }
    for r in &spec.ranges {
        if r.kind == "Categorical" && r.values.len() > MAX_CATEGORICAL_VALUES {
            return Err(invalid(
                config,
                format!(
                    "The categorical hyperparameter {} has {} values; the limit is {MAX_CATEGORICAL_VALUES}.",
                    r.name,
                    r.values.len()
                ),
            ));
        }
        if r.name == OBJECTIVE_HYPERPARAMETER {
            return Err(invalid(
                config,
                format!("The hyperparameter {OBJECTIVE_HYPERPARAMETER} is reserved and cannot be tuned."),
            ));
        }
        if spec.template.hyper_parameters.contains_key(&r.name) {
            return Err(invalid(
                "TrainingJobDefinition.StaticHyperParameters",
                format!(
                    "The hyperparameter {} is specified both in StaticHyperParameters and in ParameterRanges; tuned hyperparameters must not be static.",
                    r.name
                ),
            ));
        }
    }
    let limits = format!("{config}.ResourceLimits");
    if let Some(max) = spec.max_training_jobs {
        if max > MAX_TRAINING_JOBS {
            return Err(Error::LimitExceeded(format!(
                "MaxNumberOfTrainingJobs {max} exceeds the limit of {MAX_TRAINING_JOBS} training jobs per tuning job."
            )));
        }
        if spec.max_parallel_training_jobs > max {
            return Err(invalid(
                &limits,
                format!(
                    "MaxParallelTrainingJobs ({}) must be less than or equal to MaxNumberOfTrainingJobs ({max}).",
                    spec.max_parallel_training_jobs
                ),
            ));
        }
    }
    if spec.max_parallel_training_jobs > MAX_PARALLEL_TRAINING_JOBS {
        return Err(Error::LimitExceeded(format!(
            "MaxParallelTrainingJobs {} exceeds the limit of {MAX_PARALLEL_TRAINING_JOBS}.",
            spec.max_parallel_training_jobs
        )));
    }
    match spec.strategy.as_str() {
        // AWS: the grid's size is the number of jobs.
        "Grid" if spec.max_training_jobs.is_some() => {
            return Err(invalid(
                &limits,
                "MaxNumberOfTrainingJobs must not be specified for the Grid strategy: it runs one training job per grid point.",
            ));
        }
        "Grid" => {}
        _ if spec.max_training_jobs.is_none() => {
            return Err(invalid(
                &limits,
                format!(
                    "MaxNumberOfTrainingJobs is required for the {} strategy.",
                    spec.strategy
                ),
            ));
        }
        _ => {}
    }
    if spec.hyperband.is_some() && spec.strategy != "Hyperband" {
        return Err(invalid(
            &format!("{config}.StrategyConfig"),
            "StrategyConfig.HyperbandStrategyConfig is valid only with the Hyperband strategy.",
        ));
    }
    if spec.strategy == "Hyperband" && spec.early_stopping != "Off" {
        return Err(invalid(
            &format!("{config}.TrainingJobEarlyStoppingType"),
            "TrainingJobEarlyStoppingType must be Off for the Hyperband strategy, which stops training jobs early itself.",
        ));
    }
    if spec.ranges.is_empty() {
        return Err(invalid(
            &format!("{config}.ParameterRanges"),
            "At least one hyperparameter range is required to tune.",
        ));
    }
    let space = Space {
        ranges: spec
            .ranges
            .iter()
            .map(range_of)
            .collect::<Result<Vec<_>>>()?,
    };
    space
        .validate()
        .map_err(|e| invalid(&format!("{config}.ParameterRanges"), e.to_string()))?;
    Ok(space)
}

fn range_of(r: &TunedRange) -> Result<Range> {
    let field = "HyperParameterTuningJobConfig.ParameterRanges";
    let scaling = match r.scaling_type.as_deref().unwrap_or("Auto") {
        "Auto" => Scaling::Auto,
        "Linear" => Scaling::Linear,
        "Logarithmic" => Scaling::Logarithmic,
        _ => Scaling::ReverseLogarithmic,
    };
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    match r.kind.as_str() {
        "Integer" => {
            let parse = |which: &str, v: &Option<String>| {
                text(v).trim().parse::<i64>().map_err(|_| {
                    invalid(
                        field,
                        format!(
                            "The {which} '{}' of integer hyperparameter {} is not an integer.",
                            text(v),
                            r.name
                        ),
                    )
                })
            };
            Ok(Range::Integer {
                name: r.name.clone(),
                min: parse("MinValue", &r.min_value)?,
                max: parse("MaxValue", &r.max_value)?,
                scaling,
            })
        }
        "Continuous" => {
            let parse = |which: &str, v: &Option<String>| {
                text(v)
                    .trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|x| x.is_finite())
                    .ok_or_else(|| {
                        invalid(
                            field,
                            format!(
                                "The {which} '{}' of continuous hyperparameter {} is not a number.",
                                text(v),
                                r.name
                            ),
                        )
                    })
            };
            Ok(Range::Continuous {
                name: r.name.clone(),
                min: parse("MinValue", &r.min_value)?,
                max: parse("MaxValue", &r.max_value)?,
                scaling,
            })
        }
        _ => Ok(Range::Categorical {
            name: r.name.clone(),
            values: r.values.clone(),
        }),
    }
}

/// The objective metric must be one the children report: defined in the
/// job's MetricDefinitions (or, with an algorithm, its own).
pub fn objective_defined(spec: &TuningJobSpec, metrics: &[MetricDefinition]) -> Result<()> {
    let name = &spec.objective.metric_name;
    if metrics.iter().any(|m| &m.name == name) {
        return Ok(());
    }
    Err(invalid(
        "HyperParameterTuningJobConfig.HyperParameterTuningJobObjective.MetricName",
        format!(
            "A metric is required for this hyperparameter tuning job objective. Provide a metric in the metric definitions. The objective metric {name} is not among them ({}).",
            list(metrics.iter().map(|m| m.name.as_str()))
        ),
    ))
}

/// An algorithm's `SupportedTuningJobObjectiveMetrics` (`(type, name)`)
/// must hold the objective, when it declares any.
pub fn objective_supported(
    spec: &TuningJobSpec,
    algorithm_arn: &str,
    supported: &[(String, String)],
) -> Result<()> {
    let o = &spec.objective;
    if supported.is_empty()
        || supported
            .iter()
            .any(|(t, n)| t == &o.kind && n == &o.metric_name)
    {
        return Ok(());
    }
    let field = "HyperParameterTuningJobConfig.HyperParameterTuningJobObjective";
    if supported.iter().any(|(_, n)| n == &o.metric_name) {
        return Err(invalid(
            field,
            format!(
                "The objective metric type, [{}], that you specified for objective metric, [{}], isn't valid for the [{algorithm_arn}] algorithm. Choose a valid objective metric type.",
                o.kind, o.metric_name
            ),
        ));
    }
    Err(invalid(
        field,
        format!(
            "The objective metric for the hyperparameter tuning job, [{}], isn't valid for the [{algorithm_arn}] algorithm. Choose a valid objective metric: {}.",
            o.metric_name,
            list(supported.iter().map(|(_, n)| n.as_str()))
        ),
    ))
}

/// With an algorithm: each searched hyperparameter is declared, tunable,
/// of the range's type and within its declared range or values.
pub fn ranges_declared(
    spec: &TuningJobSpec,
    algorithm_arn: &str,
    declared: &[(HyperParameterSpec, bool)],
) -> Result<()> {
    let field = "HyperParameterTuningJobConfig.ParameterRanges";
    let untunable: Vec<&str> = spec
        .ranges
        .iter()
        .filter(|r| {
            !declared
                .iter()
                .any(|(d, tunable)| d.name == r.name && *tunable)
        })
        .map(|r| r.name.as_str())
        .collect();
    if !untunable.is_empty() {
        let tunable = declared
            .iter()
            .filter(|(_, t)| *t)
            .map(|(d, _)| d.name.as_str());
        return Err(invalid(
            field,
            format!(
                "The hyperparameter tuning job that you requested has the following untunable hyperparameters: [{}]. For the algorithm, {algorithm_arn}, you can tune only [{}]. Tunable hyperparameters must be specified only in ParameterRanges.",
                untunable.join(", "),
                list(tunable)
            ),
        ));
    }
    for r in &spec.ranges {
        let Some((d, _)) = declared.iter().find(|(d, _)| d.name == r.name) else {
            continue;
        };
        if d.kind != r.kind {
            return Err(invalid(
                field,
                format!(
                    "The hyperparameter {} is of type {} for the algorithm {algorithm_arn}, but it is given a{} {} range.",
                    r.name,
                    d.kind,
                    if r.kind == "Integer" { "n" } else { "" },
                    r.kind
                ),
            ));
        }
        let range = d.range.as_ref();
        match r.kind.as_str() {
            "Categorical" => {
                let allowed = range
                    .and_then(|x| x.categorical_parameter_range_specification.as_ref())
                    .map(|c| c.values.clone())
                    .unwrap_or_default();
                if let Some(v) = r
                    .values
                    .iter()
                    .find(|v| !allowed.is_empty() && !allowed.contains(v))
                {
                    return Err(invalid(
                        field,
                        format!(
                            "The value {v} of categorical hyperparameter {} is not one the algorithm {algorithm_arn} supports: [{}].",
                            r.name,
                            allowed.join(", ")
                        ),
                    ));
                }
            }
            kind => {
                let bounds = range.and_then(|x| {
                    if kind == "Integer" {
                        x.integer_parameter_range_specification.as_ref()
                    } else {
                        x.continuous_parameter_range_specification.as_ref()
                    }
                });
                let Some(b) = bounds else { continue };
                let num = |s: &str| s.trim().parse::<f64>().ok();
                let (Some(lo), Some(hi)) = (num(&b.min_value), num(&b.max_value)) else {
                    continue;
                };
                for (which, v) in [("MinValue", &r.min_value), ("MaxValue", &r.max_value)] {
                    let Some(x) = v.as_deref().and_then(num) else {
                        continue;
                    };
                    if x < lo || x > hi {
                        return Err(invalid(
                            field,
                            format!(
                                "The {which} {} of hyperparameter {} is outside the range [{}, {}] that the algorithm {algorithm_arn} supports.",
                                v.as_deref().unwrap_or_default(),
                                r.name,
                                b.min_value,
                                b.max_value
                            ),
                        ));
                    }
                }
            }
        }
    }
    Ok(())
}

fn list<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let v: Vec<&str> = names.collect();
    if v.is_empty() {
        "none".to_owned()
    } else {
        v.join(", ")
    }
}
