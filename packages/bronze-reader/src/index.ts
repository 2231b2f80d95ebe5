export const BRONZE_READER_PLACEHOLDER = true;
