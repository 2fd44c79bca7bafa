//! The one macro for closed enums of names: domain values with their stored names, wire
//! values with their wire names, error codes with their HTTP statuses, and the actions of
//! each dialect. Each gets `ALL`, an exhaustive `as_str`, an exact `parse`, and, when every
//! variant gives one, an exhaustive `status`.

/// Declares a closed enum whose variants each have a name (`Variant = "name"`), and
/// optionally an HTTP status (`Variant = "name" => 400`).
macro_rules! closed_enum {
    (
        $(#[$m:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vm:meta])* $variant:ident = $wire:expr $(=> $status:literal)? ),+ $(,)?
        }
    ) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        $vis enum $name {
            $($(#[$vm])* $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// The name.
            #[must_use]
            pub const fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $wire),+ }
            }

            /// Parses the exact (case-sensitive) name.
            #[must_use]
            pub fn parse(s: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.as_str() == s)
            }
        }

        $crate::enums::closed_enum!(@status $name $( $variant $($status)? ),+);
    };
    (@status $name:ident $( $variant:ident $status:literal ),+) => {
        impl $name {
            /// The HTTP status.
            #[must_use]
            pub const fn status(self) -> u16 {
                match self { $(Self::$variant => $status),+ }
            }
        }
    };
    (@status $name:ident $( $variant:ident ),+) => {};
}

/// Serialises a [`closed_enum!`] type as its name (the stored form), and reads it back.
macro_rules! serde_by_name {
    ($name:ident) => {
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let name = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
                Self::parse(&name).ok_or_else(|| {
                    serde::de::Error::custom(format!(
                        concat!("unknown ", stringify!($name), " {:?}"),
                        name
                    ))
                })
            }
        }
    };
}

/// `From` both ways between a wire enum and a model enum with the same variants.
macro_rules! same_variants {
    ($wire:ident <=> $model:path { $($v:ident),+ }) => {
        impl From<$model> for $wire {
            fn from(v: $model) -> Self {
                match v { $(<$model>::$v => Self::$v),+ }
            }
        }

        impl From<$wire> for $model {
            fn from(v: $wire) -> Self {
                match v { $($wire::$v => Self::$v),+ }
            }
        }
    };
}

/// Implements `schemars::JsonSchema` for a [`closed_enum!`] type: a string, one of its
/// names.
macro_rules! enum_schema {
    ($name:ty) => {
        impl schemars::JsonSchema for $name {
            fn inline_schema() -> bool {
                true
            }

            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }

            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                let names: Vec<&str> = <$name>::ALL.iter().map(|v| v.as_str()).collect();
                schemars::json_schema!({"type": "string", "enum": names})
            }
        }
    };
}

pub(crate) use closed_enum;
pub(crate) use enum_schema;
pub(crate) use same_variants;
pub(crate) use serde_by_name;
