// Scenes re-exports the JSON module (parser, writer, JSONValue) rather than asking every
// `import Scenes` client to add `import JSON`: Scenes' public API (JSONFieldReader,
// Palette.parse, the `json` properties of scenes and labels) speaks JSONValue, so a client
// of Scenes needs those types anyway. Scenes' own files import JSON explicitly.
// The same holds for Files (FileIO, IOError, RefusedOutput): Scenes reads and writes files.
@_exported import JSON
@_exported import Files
