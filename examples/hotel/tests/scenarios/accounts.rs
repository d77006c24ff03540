//! The user tasks: user-registration, delete-user, login, get-user-reservations.

use std::sync::Arc;

use crate::fixture::{self, day, register, user_init};
use hotel_model::user;
use nubes_runtime::{Error, Store};

/// Task user-registration: a user is created under their e-mail, once.
pub async fn user_registration(store: Arc<dyn Store>) {
    let app = fixture::app(store).await;
    let ana = app
        .client
        .users()
        .create(user_init("ana"))
        .await
        .expect("registered");
    assert_eq!(ana.id, user::Id::from("ana@example.com"));
    let stored = ana.load().await.expect("load");
    assert_eq!(stored, user_init("ana").into_state());
    assert_eq!(ana.get_first_name().await, Ok("ana".to_string()));
    assert_eq!(ana.exists().await, Ok(true));
    assert_eq!(
        app.client.user("nobody@example.com").exists().await,
        Ok(false)
    );
    assert_eq!(
        app.client.users().create(user_init("ana")).await.err(),
        Some(Error::AlreadyExists {
            type_name: "User".into(),
            id: "ana@example.com".into()
        })
    );
    assert_eq!(ana.reservations().await, Ok(vec![]));
}

/// Task delete-user: the user goes, and with them every edge to their reservations, on
/// both sides; the reservations stay.
pub async fn delete_user(store: Arc<dyn Store>) {
    let app = fixture::app(store).await;
    let c = &app.client;
    let lisbon = fixture::city(c, "Lisbon").await;
    let (ana, ben) = (register(c, "ana").await, register(c, "ben").await);
    let shared = c.room(lisbon.rooms[0].clone());
    let shared = shared
        .reserve(ana.clone(), day("2027-06-01"), day("2027-06-03"))
        .await
        .expect("ana's reservation");
    c.reservation(shared.clone())
        .add_to_guests(ben.clone())
        .await
        .expect("ben joins ana");
    let own = c
        .room(lisbon.rooms[1].clone())
        .reserve(ben.clone(), day("2027-06-01"), day("2027-06-03"))
        .await
        .expect("ben's reservation");

    c.user(ben.clone()).delete().await.expect("ben deleted");
    assert_eq!(c.user(ben.clone()).exists().await, Ok(false));
    assert!(matches!(
        c.user(ben.clone()).load().await,
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        c.user(ben.clone()).login("pw-ben").await,
        Err(Error::NotFound { .. })
    ));
    assert_eq!(
        c.reservation(shared.clone()).guests_ids().await,
        Ok(vec![ana.clone()])
    );
    assert_eq!(c.reservation(own.clone()).guests_ids().await, Ok(vec![]));
    assert_eq!(
        c.reservation(own).exists().await,
        Ok(true),
        "reservations stay"
    );
    assert_eq!(
        c.user(ana.clone()).reservations_ids().await,
        Ok(vec![shared])
    );

    // The address can register again, with nothing left over from before.
    let again = register(c, "ben").await;
    assert_eq!(c.user(again).reservations_ids().await, Ok(vec![]));
}

/// Task login: the stored password and nothing else; a changed password takes over.
pub async fn login(store: Arc<dyn Store>) {
    let app = fixture::app(store).await;
    let c = &app.client;
    let ana = c.user(register(c, "ana").await);
    assert_eq!(ana.login("pw-ana").await, Ok(true));
    for wrong in ["pw-ben", "PW-ANA", "pw-ana ", ""] {
        assert_eq!(ana.login(wrong).await, Ok(false), "{wrong:?}");
    }
    ana.set_password("new-secret").await.expect("password set");
    assert_eq!(ana.login("new-secret").await, Ok(true));
    assert_eq!(ana.login("pw-ana").await, Ok(false));
    let nobody = c.user("nobody@example.com").login("pw").await;
    assert!(matches!(nobody, Err(Error::NotFound { .. })), "{nobody:?}");
}

/// Task get-user-reservations: the reservations a user is a guest on, with their rooms
/// and dates.
pub async fn get_user_reservations(store: Arc<dyn Store>) {
    let app = fixture::app(store.clone()).await;
    let c = &app.client;
    let lisbon = fixture::city(c, "Lisbon").await;
    let (ana, ben) = (register(c, "ana").await, register(c, "ben").await);
    let stays = [
        (0, day("2027-06-01"), day("2027-06-03")),
        (4, day("2027-07-10"), day("2027-07-14")),
    ];
    for (room, check_in, check_out) in stays {
        c.room(lisbon.rooms[room].clone())
            .reserve(ana.clone(), check_in, check_out)
            .await
            .expect("reserved");
    }
    let before = store.stats().snapshot();
    let mut list = c
        .user(ana.clone())
        .reservations()
        .await
        .expect("reservations");
    // Reservations are immutable: the edges carry them, so the query alone reads them.
    let used = store.stats().snapshot() - before;
    assert_eq!((used.round_trips, used.items_read), (1, 2));
    list.sort_by_key(|reservation| reservation.check_in);
    let seen: Vec<_> = list
        .iter()
        .map(|r| (r.room.clone(), r.check_in, r.check_out))
        .collect();
    let expected: Vec<_> = stays
        .iter()
        .map(|&(room, check_in, check_out)| (lisbon.rooms[room].clone(), check_in, check_out))
        .collect();
    assert_eq!(seen, expected);
    assert_eq!(c.user(ben).reservations().await, Ok(vec![]));
}
