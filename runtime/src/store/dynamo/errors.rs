//! SDK errors as [`StoreError`]s: service error codes, the cancellation reasons of a
//! transaction, and which table of a request is the missing one.

use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::CancellationReason;

use super::convert::{item_from_attributes, AttributeMap};
use super::DynamoStore;
use crate::store::StoreError;

/// The server's message when an update expression names a path under a missing map.
const INVALID_PATH: &str = "document path provided in the update expression is invalid";

/// A failed transaction: the error, and whether it was an update of a missing `_inv`
/// (`Some` with the failing operations when the store says which, empty when not).
#[derive(Debug)]
pub(super) struct TransactError {
    pub(super) error: StoreError,
    pub(super) invalid_paths: Option<Vec<usize>>,
}

impl From<StoreError> for TransactError {
    fn from(error: StoreError) -> Self {
        TransactError {
            error,
            invalid_paths: None,
        }
    }
}

/// A failed `TransactWriteItems` as a [`TransactError`]. `op_tables` are the tables of
/// the operations, in order; `tables` the distinct ones.
pub(super) fn transact_error(
    err: SdkError<TransactWriteItemsError>,
    op_tables: &[&str],
    tables: &[String],
    prefix: &str,
) -> TransactError {
    let Some(TransactWriteItemsError::TransactionCanceledException(canceled)) =
        err.as_service_error()
    else {
        let error = classify_tables(err, tables, prefix);
        let invalid_paths = is_invalid_path(&error).then(Vec::new);
        return TransactError {
            error,
            invalid_paths,
        };
    };
    let reasons = canceled.cancellation_reasons();
    let invalid: Vec<usize> = reasons
        .iter()
        .enumerate()
        .filter(|(_, reason)| reason.message().is_some_and(|m| m.contains(INVALID_PATH)))
        .map(|(index, _)| index)
        .collect();
    TransactError {
        error: cancellation_error(reasons, canceled.message(), op_tables),
        invalid_paths: (!invalid.is_empty()).then_some(invalid),
    }
}

/// The error a canceled transaction stands for, from its cancellation reasons.
/// `op_tables` are the tables of the operations, in order.
fn cancellation_error(
    reasons: &[CancellationReason],
    message: Option<&str>,
    op_tables: &[&str],
) -> StoreError {
    let code_at = |wanted: &[&str]| {
        reasons
            .iter()
            .position(|reason| reason.code().is_some_and(|code| wanted.contains(&code)))
    };
    if let Some(index) = code_at(&["ConditionalCheckFailed"]) {
        return condition_failed(index, reasons[index].item());
    }
    if code_at(&["TransactionConflict"]).is_some() {
        return StoreError::TransactionConflict;
    }
    if let Some(index) = code_at(&["ResourceNotFound", "ResourceNotFoundException"]) {
        return StoreError::MissingTable(
            op_tables
                .get(index)
                .copied()
                .unwrap_or_default()
                .to_string(),
        );
    }
    let throttled = [
        "ThrottlingError",
        "ProvisionedThroughputExceeded",
        "RequestLimitExceeded",
    ];
    if let Some(reason) = reasons
        .iter()
        .find(|r| r.code().is_some_and(|code| throttled.contains(&code)))
    {
        return StoreError::Unavailable(format!(
            "transaction canceled: {}",
            describe_reason(reason)
        ));
    }
    let described: Vec<String> = reasons
        .iter()
        .enumerate()
        .filter(|(_, reason)| reason.code().is_some_and(|code| code != "None"))
        .map(|(index, reason)| format!("operation {index}: {}", describe_reason(reason)))
        .collect();
    StoreError::Invalid(format!(
        "transaction canceled: {}",
        if described.is_empty() {
            message.unwrap_or("no reason given").to_string()
        } else {
            described.join("; ")
        }
    ))
}

fn describe_reason(reason: &CancellationReason) -> String {
    format!(
        "{} ({})",
        reason.code().unwrap_or("?"),
        reason.message().unwrap_or("")
    )
}

/// A failed condition, with the item as the store reported it.
pub(super) fn condition_failed(index: usize, item: Option<&AttributeMap>) -> StoreError {
    let current = item.and_then(
        |attributes| match item_from_attributes(attributes.clone()) {
            Ok(item) => Some(item),
            Err(err) => {
                tracing::warn!(%err, "could not read the current item of a failed condition");
                None
            }
        },
    );
    StoreError::ConditionFailed {
        index: Some(index),
        current,
    }
}

/// The service error code of a failed request.
pub(super) fn error_code<E: ProvideErrorMetadata>(err: &SdkError<E>) -> Option<&str> {
    err.as_service_error().and_then(ProvideErrorMetadata::code)
}

/// The service error message of a failed request.
pub(super) fn error_message<E: ProvideErrorMetadata>(err: &SdkError<E>) -> Option<&str> {
    err.as_service_error()
        .and_then(ProvideErrorMetadata::message)
}

/// A failed request on `table` (without the prefix) as a [`StoreError`].
pub(super) fn classify<E>(err: SdkError<E>, table: &str) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let service = match &err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            return StoreError::Unavailable(DisplayErrorContext(&err).to_string());
        }
        SdkError::ServiceError(service) => service,
        _ => return StoreError::Invalid(DisplayErrorContext(&err).to_string()),
    };
    let code = service.err().code().unwrap_or("Unknown");
    let message = format!("{code}: {}", service.err().message().unwrap_or(""));
    match code {
        "ResourceNotFoundException" => StoreError::MissingTable(table.to_string()),
        "ConditionalCheckFailedException" => StoreError::ConditionFailed {
            index: Some(0),
            current: None,
        },
        "TransactionConflictException" => StoreError::TransactionConflict,
        "ThrottlingException"
        | "ProvisionedThroughputExceededException"
        | "RequestLimitExceeded"
        | "LimitExceededException"
        | "TransactionInProgressException"
        | "InternalServerError"
        | "ServiceUnavailable" => StoreError::Unavailable(message),
        _ if service.raw().status().is_server_error() => StoreError::Unavailable(message),
        _ => StoreError::Invalid(message),
    }
}

/// Like [`classify`] for a request on several tables: a missing table is the one the
/// message names, else the first.
pub(super) fn classify_tables<E>(err: SdkError<E>, tables: &[String], prefix: &str) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let named = error_message(&err).and_then(|message| {
        tables
            .iter()
            .find(|table| message.contains(&format!("{prefix}{table}")))
    });
    let table = named.or(tables.first()).map(String::as_str).unwrap_or("");
    classify(err, table)
}

/// A request the SDK could not build: a bug here, reported as invalid.
pub(super) fn build_error(err: aws_sdk_dynamodb::error::BuildError) -> StoreError {
    StoreError::Invalid(format!("could not build the request: {err}"))
}

/// Whether an update failed because it names a path under a missing map.
pub(super) fn is_invalid_path(err: &StoreError) -> bool {
    matches!(err, StoreError::Invalid(message) if message.contains(INVALID_PATH))
}

/// The distinct tables of a request, in the order they first appear.
pub(super) fn distinct_tables<'a>(tables: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut seen = Vec::<String>::new();
    for table in tables {
        if !seen.iter().any(|known| known == table) {
            seen.push(table.to_string());
        }
    }
    seen
}

impl DynamoStore {
    /// A request on several tables failed for a missing table the server did not name:
    /// finds which one is missing (one `DescribeTable` each, only then).
    pub(super) async fn which_missing(&self, err: StoreError, tables: &[String]) -> StoreError {
        if !matches!(err, StoreError::MissingTable(_)) || tables.len() < 2 {
            return err;
        }
        for table in tables {
            if let Ok(None) = self.table_status(table).await {
                return StoreError::MissingTable(table.clone());
            }
        }
        err
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(code: &str) -> CancellationReason {
        CancellationReason::builder().code(code).build()
    }

    #[test]
    fn cancellation_reasons_map_to_errors() {
        let tables = ["a", "b", "c"];
        let failed = [
            reason("None"),
            reason("TransactionConflict"),
            reason("ConditionalCheckFailed"),
        ];
        assert_eq!(
            cancellation_error(&failed, None, &tables),
            StoreError::ConditionFailed {
                index: Some(2),
                current: None
            }
        );
        let conflict = [reason("None"), reason("TransactionConflict")];
        assert_eq!(
            cancellation_error(&conflict, None, &tables),
            StoreError::TransactionConflict
        );
        let missing = [reason("None"), reason("ResourceNotFound")];
        assert_eq!(
            cancellation_error(&missing, None, &tables),
            StoreError::MissingTable("b".into())
        );
        let throttled = [reason("ThrottlingError")];
        assert!(matches!(
            cancellation_error(&throttled, None, &tables),
            StoreError::Unavailable(_)
        ));
        let invalid = [reason("None"), reason("ValidationError")];
        assert!(matches!(
            cancellation_error(&invalid, None, &tables),
            StoreError::Invalid(_)
        ));
    }
}
