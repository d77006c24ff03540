//! Generates the client of the counter application from its schema.

fn main() -> Result<(), nubes_build::Error> {
    nubes_build::configure("../counter.nubes").compile(nubes_build::Part::Client)
}
