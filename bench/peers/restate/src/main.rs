//! `hotel-restate`: serves the hotel application's Restate endpoint (objects `City`,
//! `Hotel`, `Room`, `User`) over HTTP/2 for a Restate server to register and invoke.
//!
//! ```text
//! hotel-restate --listen 127.0.0.1:9080
//! ```
//!
//! It prints `listening on http://ADDRESS` once it accepts connections.

use std::net::SocketAddr;
use std::process::ExitCode;

use clap::Parser;

/// Serves the hotel application's Restate endpoint.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// The address to serve the endpoint on.
    #[arg(long, default_value = "127.0.0.1:9080")]
    listen: SocketAddr,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let listener = match tokio::net::TcpListener::bind(args.listen).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("hotel-restate: cannot listen on {}: {error}", args.listen);
            return ExitCode::FAILURE;
        }
    };
    match listener.local_addr() {
        // The benchmark reads this line to learn the port (with port 0, the system's choice).
        Ok(address) => println!("listening on http://{address}"),
        Err(error) => {
            eprintln!("hotel-restate: cannot read the address listened on: {error}");
            return ExitCode::FAILURE;
        }
    }
    hotel_restate::serve(listener).await;
    ExitCode::SUCCESS
}
