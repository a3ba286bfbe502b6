// SPDX-License-Identifier: AGPL-3.0-or-later

//! WordPress exports (WXR 1.0–1.2): the streaming [`parser`] and the [`content`] conversion
//! of post bodies. Storing what they yield is the server's `import::wordpress`.

pub mod content;
pub mod parser;
