/**
 * holdfast's HTTP/1.1 codec (RFC 9112): head parsers, body framing, the
 * chunked decoder and a head writer. Pure functions on bytes, no runtime globals.
 *
 * @module
 */
export { ParseError } from "./errors.ts";
export { ascii, fieldName, fieldValue, findField, type Head, nameIs, type RequestHead, type ResponseHead, valueIs } from "./head.ts";
export { parseRequestHead } from "./parse-request.ts";
export { parseResponseHead } from "./parse-response.ts";
export { type Framing, requestFraming, responseFraming } from "./framing.ts";
export { ChunkedDecoder } from "./chunked.ts";
export { HeadWriter } from "./writer.ts";
