//! `nubes tables create|check`: the tables a schema needs, made or compared on a
//! DynamoDB endpoint.

use nubes_runtime::store::dynamo::{DynamoStore, TableCheck};
use nubes_runtime::store::{Store, TableSpec};
use nubesc::render::{self, Colors};

use super::{TablesArgs, EXIT_DIFFERS, EXIT_OK, EXIT_USAGE};

/// What `run` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Create the missing tables, then check them all.
    Create,
    /// Only check.
    Check,
}

/// Runs the command; returns the exit code.
pub async fn run(args: &TablesArgs, mode: Mode) -> u8 {
    let tables = match schema_tables(args) {
        Ok(tables) => tables,
        Err(message) => {
            eprint!("{message}");
            return EXIT_USAGE;
        }
    };
    let mut builder = DynamoStore::builder().table_prefix(args.prefix.clone());
    if let Some(url) = &args.endpoint {
        builder = builder.endpoint_url(url.clone());
    }
    if let Some(region) = &args.region {
        builder = builder.region(region.clone());
    }
    let store = builder.build();
    let place = args.endpoint.as_deref().unwrap_or("AWS");
    if mode == Mode::Create {
        let created = match store.ensure_tables(&tables).await {
            Ok(()) => store.ensure_expiry(&tables).await,
            Err(error) => Err(error),
        };
        if let Err(error) = created {
            eprintln!("error: cannot create the tables on {place}: {error}");
            return EXIT_USAGE;
        }
    }
    let checks = match store.check_tables(&tables).await {
        Ok(checks) => checks,
        Err(error) => {
            eprintln!("error: cannot read the tables on {place}: {error}");
            return EXIT_USAGE;
        }
    };
    print!("{}", report(&store, &checks));
    let ready = checks
        .iter()
        .filter(|(_, check)| *check == TableCheck::Ready)
        .count();
    println!("{ready} of {} tables ready on {place}", checks.len());
    if ready == checks.len() {
        EXIT_OK
    } else {
        EXIT_DIFFERS
    }
}

/// The tables of the application in `args.file`: one per object type, and the outbox.
fn schema_tables(args: &TablesArgs) -> Result<Vec<TableSpec>, String> {
    let compilation = nubesc::check_path(&args.file).map_err(|error| {
        format!(
            "error: cannot read `{}`: {}\n",
            args.file.display(),
            error.message()
        )
    })?;
    let Some(schema) = compilation.schema else {
        let rendered =
            render::render_all(&compilation.sources, &compilation.diagnostics, Colors::Off);
        return Err(format!(
            "{rendered}error: `{}` has errors; fix them first (`nubesc check` shows them too)\n",
            args.file.display()
        ));
    };
    let mut runtime_schema = nubes_runtime::Schema::new("");
    for object in &schema.objects {
        runtime_schema =
            runtime_schema.with_type(nubes_runtime::ObjectType::new(object.name.clone()));
    }
    Ok(runtime_schema.tables())
}

/// A line a table: its name on the server and what was found.
fn report(store: &DynamoStore, checks: &[(String, TableCheck)]) -> String {
    let width = checks
        .iter()
        .map(|(table, _)| store.table_name(table).len())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for (table, check) in checks {
        let name = store.table_name(table);
        match check {
            TableCheck::Ready => out.push_str(&format!("{name:width$}  ready\n")),
            TableCheck::Missing => out.push_str(&format!(
                "{name:width$}  missing (`nubes tables create` makes it)\n"
            )),
            TableCheck::Differs(differences) => {
                out.push_str(&format!("{name:width$}  differs:\n"));
                for difference in differences {
                    out.push_str(&format!("{:width$}    - {difference}\n", ""));
                }
            }
        }
    }
    out
}
