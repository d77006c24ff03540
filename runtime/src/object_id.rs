//! What every generated object id has besides its derives, written once here rather than
//! in every generated model: it shows as its text and converts from text and from a
//! reference to itself.

/// Implements `Display`, `AsRef<str>` and `From<&str>`, `From<String>`, `From<&Id>` for a
/// generated id, a tuple struct around a `String`. Generated model crates call it.
#[macro_export]
macro_rules! impl_object_id {
    ($id:ident) => {
        impl ::core::fmt::Display for $id {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl ::core::convert::AsRef<str> for $id {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl ::core::convert::From<&str> for $id {
            fn from(value: &str) -> Self {
                $id(::std::string::String::from(value))
            }
        }

        impl ::core::convert::From<::std::string::String> for $id {
            fn from(value: ::std::string::String) -> Self {
                $id(value)
            }
        }

        impl ::core::convert::From<&$id> for $id {
            fn from(value: &$id) -> Self {
                ::core::clone::Clone::clone(value)
            }
        }
    };
}

#[cfg(test)]
mod tests {
    #[derive(Debug, Clone, PartialEq)]
    struct RoomId(String);

    crate::impl_object_id!(RoomId);

    #[test]
    fn an_id_shows_as_its_text_and_converts_from_text() {
        let id = RoomId::from("r1");
        assert_eq!(id.to_string(), "r1");
        assert_eq!(id.as_ref(), "r1");
        assert_eq!(RoomId::from(String::from("r1")), id);
        assert_eq!(RoomId::from(&id), id);
    }
}
