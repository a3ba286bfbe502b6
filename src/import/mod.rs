//! Importers that bring content from elsewhere (so far: WordPress exports).

pub mod wordpress;
