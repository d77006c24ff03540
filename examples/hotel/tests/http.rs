//! The hotel application over HTTP: the generated client on the HTTP transport, against
//! the HTTP server on SQLite, answers as it does in process; a retried request is
//! answered once; and what is not a request gets a status that says why.

mod fixture;

use std::net::SocketAddr;
use std::sync::Arc;

use fixture::{day, register, user_init, BAIXA};
use hotel_app::HotelApp;
use hotel_client::Client;
use hotel_model::room::{ReserveArgs, ReserveError};
use hotel_model::{reservation, user, Date, InvalidDates, Overlap};
use nubes_runtime::http::{HttpServer, HttpTransport, MAX_REQUEST_BYTES};
use nubes_runtime::serde_json::Value;
use nubes_runtime::store::sqlite::SqliteStore;
use nubes_runtime::{typed, Call, Error, Request, RetryPolicy, Transport};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A server on a port of its own, over a fresh in-memory store.
struct Server {
    address: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

impl Server {
    async fn start() -> Server {
        let store = Arc::new(SqliteStore::in_memory().expect("an in-memory store"));
        let transport = hotel_handlers::in_process(store, HotelApp)
            .with_tables()
            .await
            .expect("the tables are created");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a free port");
        let address = listener.local_addr().expect("a bound address");
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(HttpServer::new(transport).run(listener, async move {
            let _ = stopped.await;
        }));
        Server {
            address,
            stop: Some(stop),
            task,
        }
    }

    fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    fn transport(&self) -> HttpTransport {
        HttpTransport::new(&self.url()).expect("an http URL")
    }

    fn client(&self) -> Client {
        Client::new(self.transport())
    }

    /// One raw HTTP/1.1 exchange on a connection of its own: the status and the body.
    async fn raw(&self, head: &str, body: &[u8]) -> (u16, String) {
        let mut stream = TcpStream::connect(self.address).await.expect("connected");
        let request = format!(
            "{head} HTTP/1.1\r\nHost: test\r\nConnection: close\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        stream.write_all(request.as_bytes()).await.expect("sent");
        // A server that refuses a body may answer before reading it all.
        let _ = stream.write_all(body).await;
        let mut response = Vec::new();
        stream.read_to_end(&mut response).await.expect("read");
        let response = String::from_utf8_lossy(&response).into_owned();
        let status = response
            .split(' ')
            .nth(1)
            .and_then(|code| code.parse().ok())
            .unwrap_or_else(|| panic!("not an HTTP response: {response}"));
        let body = response
            .split_once("\r\n\r\n")
            .map(|(_, body)| body.to_string())
            .unwrap_or_default();
        (status, body)
    }

    async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let stopped = (&mut self.task).await.expect("the server task ended");
        assert!(stopped.is_ok(), "{stopped:?}");
    }
}

fn reserve_request(
    room: &hotel_model::room::Id,
    guest: &user::Id,
    nights: (Date, Date),
) -> Request {
    let args = ReserveArgs {
        guest: guest.clone(),
        check_in: nights.0,
        check_out: nights.1,
    };
    let args = typed::encode("reserve arguments", &args).expect("arguments");
    let call = Call::Method {
        method: "reserve".into(),
        args,
    };
    Request::new("Room", room.0.clone(), call)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tasks_answer_over_http() {
    let server = Server::start().await;
    let c = &server.client();
    let lisbon = fixture::city(c, "Lisbon").await;
    let ana = register(c, "ana").await;
    assert!(matches!(
        c.users().create(user_init("ana")).await,
        Err(Error::AlreadyExists { .. })
    ));

    let room = c.room(lisbon.rooms[0].clone());
    let first = room
        .reserve(ana.clone(), day("2027-06-01"), day("2027-06-04"))
        .await
        .expect("reserved");
    assert_eq!(
        room.reserve(ana.clone(), day("2027-06-03"), day("2027-06-05"))
            .await,
        Err(ReserveError::Overlap(Overlap {
            reservation: first.0.clone()
        }))
    );
    assert_eq!(
        room.reserve(ana.clone(), day("2027-06-05"), day("2027-06-05"))
            .await,
        Err(ReserveError::InvalidDates(InvalidDates {
            check_in: day("2027-06-05"),
            check_out: day("2027-06-05"),
        }))
    );
    let stays = c.user(ana.clone()).reservations().await.expect("read");
    assert_eq!(stays.len(), 1);
    assert_eq!(stays[0].id, first.0);

    let city = c.city(lisbon.id.clone());
    let by_rate = city.recommend_by_rate(2).await.expect("ranked");
    assert_eq!(fixture::names(&by_rate), ["Belém Lodge", "Douro View"]);
    let near = city.recommend_by_location(BAIXA, 1).await.expect("ranked");
    assert_eq!(fixture::names(&near), ["Alfama Inn"]);
    c.hotel(lisbon.hotels[0].clone())
        .set_rate(5.0)
        .await
        .expect("rate set");
    let by_rate = city.recommend_by_rate(1).await.expect("ranked");
    assert_eq!(fixture::names(&by_rate), ["Alfama Inn"]);
    assert_eq!(c.user(ana.clone()).login("pw-ana").await, Ok(true));
    assert_eq!(c.user(ana.clone()).login("guess").await, Ok(false));

    c.user(ana.clone()).delete().await.expect("deleted");
    assert!(matches!(
        c.user(ana).login("pw-ana").await,
        Err(Error::NotFound { .. })
    ));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_request_is_answered_once_over_http() {
    let server = Server::start().await;
    let c = &server.client();
    let lisbon = fixture::city(c, "Lisbon").await;
    let ana = register(c, "ana").await;
    let transport = server.transport();
    let reserve = reserve_request(
        &lisbon.rooms[0],
        &ana,
        (day("2027-06-01"), day("2027-06-04")),
    );
    let first = transport.send(&reserve).await.expect("reserved");
    assert_eq!(
        transport.send(&reserve).await,
        Ok(first.clone()),
        "the retry is answered"
    );
    let first: reservation::Id = typed::decode("a reservation id", first).expect("an id");
    assert_eq!(
        c.room(lisbon.rooms[0].clone()).reservations_ids().await,
        Ok(vec![first])
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_is_not_a_request_gets_a_status_that_says_why() {
    let server = Server::start().await;
    assert_eq!(server.raw("GET /health", b"").await.0, 200);

    let (status, body) = server.raw("POST /invoke", b"{\"call\": 1}").await;
    assert_eq!(
        status, 200,
        "a JSON payload is the runtime's to answer: {body}"
    );
    let reply: Value = nubes_runtime::serde_json::from_str(&body).expect("a JSON reply");
    let kind = reply.pointer("/error/kind").and_then(Value::as_str);
    assert_eq!(kind, Some("validation"), "{reply}");

    let (status, body) = server.raw("POST /invoke", b"not json").await;
    assert_eq!(status, 400);
    assert!(body.contains("not JSON"), "{body}");
    let (status, body) = server.raw("GET /invoke", b"").await;
    assert_eq!(status, 405);
    assert!(body.contains("POST"), "{body}");
    let (status, body) = server.raw("POST /elsewhere", b"{}").await;
    assert_eq!(status, 404);
    assert!(body.contains("/elsewhere"), "{body}");
    let (status, _) = server
        .raw("POST /invoke", &vec![b' '; MAX_REQUEST_BYTES + 1])
        .await;
    assert_eq!(status, 413);

    // Through the transport, a server that answers with no reply is a failure that is
    // not retried, and says what answered.
    let base = format!("{}/nothing-here", server.url());
    let transport = HttpTransport::new(&base).expect("an http URL");
    let request = Request::new("User", "ana@example.com", Call::Get);
    match transport.send(&request).await {
        Err(Error::Store { message }) => assert!(message.contains("404"), "{message}"),
        other => panic!("a 404 is not a reply: {other:?}"),
    }
    server.stop().await;
}

/// A one-connection stand-in for a failing server or proxy: it reads the request
/// and then answers `response`, or holds the connection open without answering when
/// `response` is `None`.
async fn stand_in(response: Option<&'static str>) -> (String, JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a free port");
    let url = format!("http://{}", listener.local_addr().expect("a bound address"));
    let task = tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.expect("a connection");
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            if stream.read(&mut byte).await.expect("read") == 0 {
                return;
            }
            head.push(byte[0]);
        }
        // The body too: a socket closed with unread data is reset, and the reply lost.
        let head = String::from_utf8_lossy(&head).to_ascii_lowercase();
        let length = head
            .lines()
            .find_map(|line| line.strip_prefix("content-length:"))
            .and_then(|length| length.trim().parse::<usize>().ok())
            .unwrap_or(0);
        let mut body = vec![0u8; length];
        stream.read_exact(&mut body).await.expect("the body");
        match response {
            Some(response) => stream.write_all(response.as_bytes()).await.expect("sent"),
            None => {
                // Held open until the client gives up and closes it.
                let _ = stream.read(&mut byte).await;
            }
        }
    });
    (url, task)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_server_is_unavailable_and_one_that_is_silent_times_out() {
    let request = Request::new("User", "ana@example.com", Call::Get);
    let (url, failing) = stand_in(Some(
        "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 8\r\nConnection: close\r\n\r\nbusy now",
    ))
    .await;
    let answered = HttpTransport::new(&url)
        .expect("an http URL")
        .send(&request)
        .await;
    match answered {
        Err(Error::Unavailable { message }) => assert!(message.contains("busy now"), "{message}"),
        other => panic!("a 503 is retryable: {other:?}"),
    }
    failing.await.expect("the stand-in ended");

    let (url, silent) = stand_in(None).await;
    let transport = HttpTransport::new(&url)
        .expect("an http URL")
        .timeout(std::time::Duration::from_millis(200));
    match transport.send(&request).await {
        Err(Error::Unavailable { message }) => assert!(message.contains("no reply"), "{message}"),
        other => panic!("a request without a reply times out: {other:?}"),
    }
    silent.await.expect("the stand-in ended");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_is_not_there_is_unavailable() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a free port");
    let address = listener.local_addr().expect("a bound address");
    drop(listener);
    let transport = HttpTransport::new(&format!("http://{address}")).expect("an http URL");
    let request = Request::new("User", "ana@example.com", Call::Get);
    let answered = transport.send(&request).await;
    assert!(
        matches!(answered, Err(Error::Unavailable { .. })),
        "{answered:?}"
    );
    let client = Client::new(transport).with_retry(RetryPolicy::none());
    let answered = client.user("ana@example.com").login("pw").await;
    assert!(
        matches!(answered, Err(Error::Unavailable { .. })),
        "{answered:?}"
    );
}

#[test]
fn addresses_that_are_not_http_urls_are_refused() {
    let refused = HttpTransport::new("https://example.com");
    assert!(
        matches!(refused, Err(Error::Validation { .. })),
        "{refused:?}"
    );
}
