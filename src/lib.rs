//! qkms: a local key-management server that speaks the Alibaba Cloud KMS RPC API
//! (version 2016-01-20) well enough that the official SDKs cannot tell it from the real
//! service, with the bring-your-own-key import flow at its heart.
//!
//! A request makes three hops, always in the same order:
//!
//! 1. [`server`] accepts it and chooses the protocol;
//! 2. the protocol module ([`aliyun`]) parses it, authenticates it, routes it on a closed
//!    enum of actions and converts wire values into domain values;
//! 3. a [`service::Kms`] method does the domain work with [`crypto`] and [`store`].
//!
//! The way back runs in reverse: a domain value or [`service::Error`] becomes the
//! protocol's response or error code, rendered as JSON or XML.
//!
//! Requests with an `X-Amz-Target` header take the same path through [`aws`], the
//! AWS-KMS-compatible JSON 1.1 dialect, over the same key store.
//!
//! Other modules: [`config`] (CLI, environment, TOML), [`clock`] (injected time),
//! [`auth`] (credentials shared by the protocols), [`json`] (strict JSON for request input).

#![forbid(unsafe_code)]

pub mod aliyun;
pub mod audit;
pub mod auth;
pub mod aws;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod datadir;
mod enums;
pub mod files;
pub mod json;
pub mod model;
pub mod openapi;
pub mod principals;
pub mod protocol;
pub mod replay;
pub mod server;
pub mod service;
pub mod sessions;
pub mod sign;
pub mod store;
