//! AddTags, ListTags, DeleteTags.

use super::common::count;
use crate::generated::sagemaker::*;
use slipway_core::ports::metadata;
use slipway_wire_core::context::Cx;
use slipway_wire_core::error::AwsError;

fn wire_tags(tags: Vec<metadata::Tag>) -> Vec<Tag> {
    tags.into_iter()
        .map(|t| Tag {
            key: t.key,
            value: t.value,
        })
        .collect()
}

pub async fn add_tags(cx: &Cx<'_>, input: AddTagsInput) -> Result<AddTagsOutput, AwsError> {
    let tags = input
        .tags
        .into_iter()
        .map(|t| metadata::Tag {
            key: t.key,
            value: t.value,
        })
        .collect();
    let added = cx
        .svc
        .tags()
        .add(cx.account, &input.resource_arn, tags)
        .await
        .map_err(AwsError::from_service)?;
    Ok(AddTagsOutput {
        tags: Some(wire_tags(added)),
    })
}

pub async fn list_tags(cx: &Cx<'_>, input: ListTagsInput) -> Result<ListTagsOutput, AwsError> {
    let (tags, next_token) = cx
        .svc
        .tags()
        .list(
            cx.account,
            &input.resource_arn,
            count(input.max_results),
            input.next_token.as_deref(),
        )
        .await
        .map_err(AwsError::from_service)?;
    Ok(ListTagsOutput {
        tags: Some(wire_tags(tags)),
        next_token,
    })
}

pub async fn delete_tags(
    cx: &Cx<'_>,
    input: DeleteTagsInput,
) -> Result<DeleteTagsOutput, AwsError> {
    cx.svc
        .tags()
        .delete(cx.account, &input.resource_arn, &input.tag_keys)
        .await
        .map_err(AwsError::from_service)?;
    Ok(DeleteTagsOutput {})
}
