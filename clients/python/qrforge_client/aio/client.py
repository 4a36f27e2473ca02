from collections.abc import AsyncIterator
from typing import Any, Optional, Union

from .async_base_client import AsyncBaseClient
from .base_model import UNSET, UnsetType
from .bulk_create_qr_codes import BulkCreateQrCodes
from .bulk_job_updated import BulkJobUpdated
from .create_link import CreateLink
from .create_qr_code import CreateQrCode
from .create_webhook import CreateWebhook
from .delete_link import DeleteLink
from .enums import ImageFormat
from .get_bulk_job import GetBulkJob
from .get_link import GetLink
from .get_qr_code import GetQrCode
from .input_types import (
    BulkCreateQrCodesInput,
    CreateLinkInput,
    CreateQrCodeInput,
    CreateWebhookInput,
    LinkFilter,
    UpdateLinkInput,
)
from .list_links import ListLinks
from .scan_recorded import ScanRecorded
from .update_link import UpdateLink
from .viewer import Viewer


def gql(q: str) -> str:
    return q


class AsyncClient(AsyncBaseClient):
    async def viewer(self, **kwargs: Any) -> Viewer:
        query = gql("""
            query Viewer {
              viewer {
                scopes
                workspace {
                  id
                  name
                }
              }
            }
            """)
        variables: dict[str, object] = {}
        response = await self.execute(
            query=query, operation_name="Viewer", variables=variables, **kwargs
        )
        data = self.get_data(response)
        return Viewer.model_validate(data)

    async def get_link(
        self,
        id: Union[Optional[str], UnsetType] = UNSET,
        slug: Union[Optional[str], UnsetType] = UNSET,
        **kwargs: Any,
    ) -> GetLink:
        query = gql("""
            query GetLink($id: ID, $slug: String) {
              link(id: $id, slug: $slug) {
                ...LinkFields
              }
            }

            fragment LinkFields on Link {
              id
              slug
              shortUrl
              destination
              title
              tags
              status
              scanCount
              uniqueScanCount
              createdAt
            }
            """)
        variables: dict[str, object] = {"id": id, "slug": slug}
        response = await self.execute(
            query=query, operation_name="GetLink", variables=variables, **kwargs
        )
        data = self.get_data(response)
        return GetLink.model_validate(data)

    async def list_links(
        self,
        first: Union[Optional[int], UnsetType] = UNSET,
        after: Union[Optional[str], UnsetType] = UNSET,
        filter_: Union[Optional[LinkFilter], UnsetType] = UNSET,
        **kwargs: Any,
    ) -> ListLinks:
        query = gql("""
            query ListLinks($first: Int, $after: String, $filter: LinkFilter) {
              links(first: $first, after: $after, filter: $filter) {
                edges {
                  node {
                    ...LinkFields
                  }
                }
                pageInfo {
                  hasNextPage
                  endCursor
                }
              }
            }

            fragment LinkFields on Link {
              id
              slug
              shortUrl
              destination
              title
              tags
              status
              scanCount
              uniqueScanCount
              createdAt
            }
            """)
        variables: dict[str, object] = {
            "first": first,
            "after": after,
            "filter": filter_,
        }
        response = await self.execute(
            query=query, operation_name="ListLinks", variables=variables, **kwargs
        )
        data = self.get_data(response)
        return ListLinks.model_validate(data)

    async def create_link(self, input: CreateLinkInput, **kwargs: Any) -> CreateLink:
        query = gql("""
            mutation CreateLink($input: CreateLinkInput!) {
              createLink(input: $input) {
                link {
                  ...LinkFields
                }
                userErrors {
                  ...Problems
                }
              }
            }

            fragment LinkFields on Link {
              id
              slug
              shortUrl
              destination
              title
              tags
              status
              scanCount
              uniqueScanCount
              createdAt
            }

            fragment Problems on UserError {
              field
              message
              code
            }
            """)
        variables: dict[str, object] = {"input": input}
        response = await self.execute(
            query=query, operation_name="CreateLink", variables=variables, **kwargs
        )
        data = self.get_data(response)
        return CreateLink.model_validate(data)

    async def update_link(
        self, id: str, input: UpdateLinkInput, **kwargs: Any
    ) -> UpdateLink:
        query = gql("""
            mutation UpdateLink($id: ID!, $input: UpdateLinkInput!) {
              updateLink(id: $id, input: $input) {
                link {
                  ...LinkFields
                }
                userErrors {
                  ...Problems
                }
              }
            }

            fragment LinkFields on Link {
              id
              slug
              shortUrl
              destination
              title
              tags
              status
              scanCount
              uniqueScanCount
              createdAt
            }

            fragment Problems on UserError {
              field
              message
              code
            }
            """)
        variables: dict[str, object] = {"id": id, "input": input}
        response = await self.execute(
            query=query, operation_name="UpdateLink", variables=variables, **kwargs
        )
        data = self.get_data(response)
        return UpdateLink.model_validate(data)

    async def delete_link(self, id: str, **kwargs: Any) -> DeleteLink:
        query = gql("""
            mutation DeleteLink($id: ID!) {
              deleteLink(id: $id) {
                deletedId
                userErrors {
                  ...Problems
                }
              }
            }

            fragment Problems on UserError {
              field
              message
              code
            }
            """)
        variables: dict[str, object] = {"id": id}
        response = await self.execute(
            query=query, operation_name="DeleteLink", variables=variables, **kwargs
        )
        data = self.get_data(response)
        return DeleteLink.model_validate(data)

    async def get_qr_code(
        self, id: str, format: ImageFormat, size: int, **kwargs: Any
    ) -> GetQrCode:
        query = gql("""
            query GetQrCode($id: ID!, $format: ImageFormat!, $size: Int!) {
              qrCode(id: $id) {
                ...QrCodeFields
                imageUrl(format: $format, size: $size)
              }
            }

            fragment LinkFields on Link {
              id
              slug
              shortUrl
              destination
              title
              tags
              status
              scanCount
              uniqueScanCount
              createdAt
            }

            fragment QrCodeFields on QrCode {
              id
              name
              kind
              dataType
              encodedText
              link {
                ...LinkFields
              }
            }
            """)
        variables: dict[str, object] = {"id": id, "format": format, "size": size}
        response = await self.execute(
            query=query, operation_name="GetQrCode", variables=variables, **kwargs
        )
        data = self.get_data(response)
        return GetQrCode.model_validate(data)

    async def create_qr_code(
        self, input: CreateQrCodeInput, **kwargs: Any
    ) -> CreateQrCode:
        query = gql("""
            mutation CreateQrCode($input: CreateQrCodeInput!) {
              createQrCode(input: $input) {
                qrCode {
                  ...QrCodeFields
                }
                userErrors {
                  ...Problems
                }
              }
            }

            fragment LinkFields on Link {
              id
              slug
              shortUrl
              destination
              title
              tags
              status
              scanCount
              uniqueScanCount
              createdAt
            }

            fragment Problems on UserError {
              field
              message
              code
            }

            fragment QrCodeFields on QrCode {
              id
              name
              kind
              dataType
              encodedText
              link {
                ...LinkFields
              }
            }
            """)
        variables: dict[str, object] = {"input": input}
        response = await self.execute(
            query=query, operation_name="CreateQrCode", variables=variables, **kwargs
        )
        data = self.get_data(response)
        return CreateQrCode.model_validate(data)

    async def bulk_create_qr_codes(
        self, input: BulkCreateQrCodesInput, **kwargs: Any
    ) -> BulkCreateQrCodes:
        query = gql("""
            mutation BulkCreateQrCodes($input: BulkCreateQrCodesInput!) {
              bulkCreateQrCodes(input: $input) {
                bulkJob {
                  ...BulkJobFields
                }
                userErrors {
                  ...Problems
                }
              }
            }

            fragment BulkJobFields on BulkJob {
              id
              status
              total
              processed
              succeeded
              failed
              errors {
                index
                field
                message
                code
              }
              resultUrl
            }

            fragment Problems on UserError {
              field
              message
              code
            }
            """)
        variables: dict[str, object] = {"input": input}
        response = await self.execute(
            query=query,
            operation_name="BulkCreateQrCodes",
            variables=variables,
            **kwargs,
        )
        data = self.get_data(response)
        return BulkCreateQrCodes.model_validate(data)

    async def get_bulk_job(self, id: str, **kwargs: Any) -> GetBulkJob:
        query = gql("""
            query GetBulkJob($id: ID!) {
              bulkJob(id: $id) {
                ...BulkJobFields
              }
            }

            fragment BulkJobFields on BulkJob {
              id
              status
              total
              processed
              succeeded
              failed
              errors {
                index
                field
                message
                code
              }
              resultUrl
            }
            """)
        variables: dict[str, object] = {"id": id}
        response = await self.execute(
            query=query, operation_name="GetBulkJob", variables=variables, **kwargs
        )
        data = self.get_data(response)
        return GetBulkJob.model_validate(data)

    async def create_webhook(
        self, input: CreateWebhookInput, **kwargs: Any
    ) -> CreateWebhook:
        query = gql("""
            mutation CreateWebhook($input: CreateWebhookInput!) {
              createWebhook(input: $input) {
                webhook {
                  id
                  url
                  events
                  enabled
                }
                secret
                userErrors {
                  ...Problems
                }
              }
            }

            fragment Problems on UserError {
              field
              message
              code
            }
            """)
        variables: dict[str, object] = {"input": input}
        response = await self.execute(
            query=query, operation_name="CreateWebhook", variables=variables, **kwargs
        )
        data = self.get_data(response)
        return CreateWebhook.model_validate(data)

    async def bulk_job_updated(
        self, id: str, **kwargs: Any
    ) -> AsyncIterator[BulkJobUpdated]:
        query = gql("""
            subscription BulkJobUpdated($id: ID!) {
              bulkJobUpdated(id: $id) {
                ...BulkJobFields
              }
            }

            fragment BulkJobFields on BulkJob {
              id
              status
              total
              processed
              succeeded
              failed
              errors {
                index
                field
                message
                code
              }
              resultUrl
            }
            """)
        variables: dict[str, object] = {"id": id}
        async for data in self.execute_ws(
            query=query, operation_name="BulkJobUpdated", variables=variables, **kwargs
        ):
            yield BulkJobUpdated.model_validate(data)

    async def scan_recorded(
        self, link_id: Union[Optional[str], UnsetType] = UNSET, **kwargs: Any
    ) -> AsyncIterator[ScanRecorded]:
        query = gql("""
            subscription ScanRecorded($linkId: ID) {
              scanRecorded(linkId: $linkId) {
                ...ScanFields
              }
            }

            fragment ScanFields on Scan {
              id
              occurredAt
              source
              country
              deviceType
              os
              browser
              isBot
              link {
                id
                slug
                scanCount
              }
            }
            """)
        variables: dict[str, object] = {"linkId": link_id}
        async for data in self.execute_ws(
            query=query, operation_name="ScanRecorded", variables=variables, **kwargs
        ):
            yield ScanRecorded.model_validate(data)
