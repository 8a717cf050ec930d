//! CreateModelPackageGroup, DescribeModelPackageGroup,
//! ListModelPackageGroups, DeleteModelPackageGroup.

use super::common::{list_params, seconds, tag_pairs};
use crate::generated::sagemaker::*;
use slipway_wire_core::context::Cx;
use slipway_wire_core::error::AwsError;

pub async fn create_model_package_group(
    cx: &Cx<'_>,
    input: CreateModelPackageGroupInput,
) -> Result<CreateModelPackageGroupOutput, AwsError> {
    let group = cx
        .svc
        .model_package_groups()
        .create(
            cx.account,
            &input.model_package_group_name,
            input.model_package_group_description,
            &tag_pairs(input.tags),
        )
        .await
        .map_err(AwsError::from_service)?;
    Ok(CreateModelPackageGroupOutput {
        model_package_group_arn: group.record.arn,
    })
}

pub async fn describe_model_package_group(
    cx: &Cx<'_>,
    input: DescribeModelPackageGroupInput,
) -> Result<DescribeModelPackageGroupOutput, AwsError> {
    let g = cx
        .svc
        .model_package_groups()
        .describe(cx.account, &input.model_package_group_name)
        .await
        .map_err(AwsError::from_service)?;
    Ok(DescribeModelPackageGroupOutput {
        model_package_group_name: g.doc.model_package_group_name,
        model_package_group_arn: g.record.arn,
        model_package_group_description: g.doc.model_package_group_description,
        creation_time: seconds(g.record.created),
        created_by: UserContext::default(),
        model_package_group_status: g.record.status,
        managed_configuration: None,
    })
}

pub async fn list_model_package_groups(
    cx: &Cx<'_>,
    input: ListModelPackageGroupsInput,
) -> Result<ListModelPackageGroupsOutput, AwsError> {
    let (items, next_token) = cx
        .svc
        .model_package_groups()
        .list(cx.account, &list_params!(input))
        .await
        .map_err(AwsError::from_service)?;
    let model_package_group_summary_list = items
        .into_iter()
        .map(|g| ModelPackageGroupSummary {
            model_package_group_name: g.doc.model_package_group_name,
            model_package_group_arn: g.record.arn,
            model_package_group_description: g.doc.model_package_group_description,
            creation_time: seconds(g.record.created),
            model_package_group_status: g.record.status,
            managed_configuration: None,
        })
        .collect();
    Ok(ListModelPackageGroupsOutput {
        model_package_group_summary_list,
        next_token,
    })
}

pub async fn delete_model_package_group(
    cx: &Cx<'_>,
    input: DeleteModelPackageGroupInput,
) -> Result<(), AwsError> {
    cx.svc
        .model_package_groups()
        .delete(cx.account, &input.model_package_group_name)
        .await
        .map_err(AwsError::from_service)
}
